package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.plugins.loadbalancer.health.BackendHealth;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;

/**
 * The balancer's entries in the plugin's carried state, as one {@code start()} sees them: a
 * {@link BackendHealth} per group and address, a {@link GroupState} per group. What a backend that
 * stays in its group is known to be survives a reload; a new backend or group starts afresh, and
 * its entry joins the carried state only once the configuration is accepted ({@link #keepAdded}).
 */
final class CarriedState {

    private final ConcurrentMap<String, Object> carried;
    private final Map<String, Object> added = new LinkedHashMap<>();

    CarriedState(ConcurrentMap<String, Object> carried) {
        this.carried = carried;
    }

    /**
     * The health of each backend of a group: carried over from the previous instance when the same
     * address stays in the same group, otherwise new in the check's initial state (up when there is
     * no active check: passive health takes it out if it fails).
     */
    BackendHealth[] health(GroupSettings s) {
        BackendHealth[] out = new BackendHealth[s.backends().size()];
        boolean initialUp = s.check() == null || s.check().initialUp();
        for (int i = 0; i < out.length; i++) {
            String address = s.backends().get(i).peer().address();
            String key = healthKey(s.name(), address);
            Object kept = carried.get(key);
            if (kept == null) {
                kept = new BackendHealth(s.name(), address, initialUp);
                added.put(key, kept);
            }
            out[i] = (BackendHealth) kept;
        }
        return out;
    }

    /** What the group's instances share: carried over when a group of that name was configured before. */
    GroupState groupState(String group) {
        Object kept = carried.get(groupKey(group));
        if (kept == null) {
            kept = new GroupState();
            added.put(groupKey(group), kept);
        }
        return (GroupState) kept;
    }

    /** The configuration is accepted: the state of new backends and groups joins the carried state. */
    void keepAdded() {
        added.forEach(carried::putIfAbsent);
    }

    /**
     * Drops the carried health of backends and groups no longer configured (the instance still
     * serving its last requests holds its own references, so nothing in flight loses its state).
     */
    void forgetAllBut(Collection<Group> groups) {
        Set<String> kept = new HashSet<>();
        for (Group g : groups) {
            kept.add(groupKey(g.name()));
            for (BackendHealth h : g.health) {
                kept.add(healthKey(g.name(), h.address()));
            }
        }
        carried.keySet().removeIf(k -> (k.startsWith("health|") || k.startsWith("group|")) && !kept.contains(k));
    }

    private static String healthKey(String group, String address) {
        return "health|" + group + "|" + address;
    }

    private static String groupKey(String group) {
        return "group|" + group;
    }
}
