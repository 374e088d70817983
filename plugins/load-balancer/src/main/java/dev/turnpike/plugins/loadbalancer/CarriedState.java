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
    /**
     * Drops the state of groups and backends {@code groups} no longer has, and says what went: the
     * groups, and the addresses that are in none of the groups any more.
     */
    Gone forgetAllBut(Collection<Group> groups) {
        Set<String> kept = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        for (Group g : groups) {
            kept.add(groupKey(g.name()));
            for (BackendHealth h : g.health) {
                kept.add(healthKey(g.name(), h.address()));
                addresses.add(h.address());
            }
        }
        Set<String> goneGroups = new java.util.TreeSet<>();
        Set<String> goneAddresses = new java.util.TreeSet<>();
        for (String k : carried.keySet()) {
            if (kept.contains(k)) {
                continue;
            }
            if (k.startsWith("group|")) {
                goneGroups.add(k.substring("group|".length()));
            } else if (k.startsWith("health|")) {
                String address = k.substring(k.indexOf('|', "health|".length()) + 1);
                if (!addresses.contains(address)) {
                    goneAddresses.add(address);
                }
            }
        }
        carried.keySet().removeIf(k -> (k.startsWith("health|") || k.startsWith("group|")) && !kept.contains(k));
        return new Gone(Set.copyOf(goneGroups), Set.copyOf(goneAddresses));
    }

    /** Groups and backend addresses a new configuration dropped: their metric series go once it is in force. */
    record Gone(Set<String> groups, Set<String> addresses) {
    }

    private static String healthKey(String group, String address) {
        return "health|" + group + "|" + address;
    }

    private static String groupKey(String group) {
        return "group|" + group;
    }
}
