package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.plugins.loadbalancer.health.ActiveChecker;
import dev.turnpike.plugins.loadbalancer.health.BackendHealth;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pf4j.Extension;

/**
 * The bundled balancer: {@code upstream_peer} over groups of backends, with active and passive
 * health checks and failover to another backend. Configuration: {@code plugins/load-balancer/README.md}.
 *
 * <p>What it does per request, all on the request's event loop and without locks:
 * <ol>
 *   <li>{@code upstream_peer}: the request's group ({@link Routes}) chooses a backend that is up and
 *       not yet tried by this request ({@link Group#choose}); the request holds it (least
 *       connections counts it) until the attempt ends.</li>
 *   <li>{@code fail_to_connect} / {@code error_while_proxying}: the failure counts against the
 *       backend (passive health), the backend is let go, and a retry is asked for while the group's
 *       {@code max_retries} allows one and an untried backend is left. The runtime decides whether
 *       the request can safely be sent again.</li>
 *   <li>{@code logging}: the backend's answer counts for it (success) or against it (a status listed
 *       in {@code passive.statuses}, none unless configured), and the request lets it go.</li>
 * </ol>
 *
 * <p>Passive health never ejects a group's last healthy backend ({@link EjectionGuard}), and a group
 * with too few healthy backends is in panic and spreads traffic over all of them ({@link Panic}).
 *
 * <p>Health state lives in {@link BackendHealth} objects kept in the plugin's carried state, one per
 * group and address, beside a {@link GroupState} per group: a configuration reload keeps what is
 * known of every backend that stayed in its group, and the new instance's health checks and panic
 * reports take over from the old one's.
 */
@Extension
public final class LoadBalancer implements ProxyPlugin<Attempts> {

    /** The group name used by the one-group form ({@code backends:} at the top of the config). */
    static final String DEFAULT_GROUP = "default";

    private volatile Routes routes;
    private volatile Map<String, Group> groups = Map.of();
    private final List<ActiveChecker> checkers = new ArrayList<>();
    private LbMetrics metrics;

    @Override
    public void start(PluginContext context) {
        ConfigSection config = context.config();
        metrics = new LbMetrics(context.metrics());
        Map<String, GroupSettings> settings = new LinkedHashMap<>();
        if (config.has("groups")) {
            for (String key : GroupSettings.KEYS) {
                if (config.has(key)) {
                    throw config.invalid(key, "goes inside a group when groups: is used");
                }
            }
            ConfigSection g = config.section("groups");
            if (g.keys().isEmpty()) {
                throw config.invalid("groups", "needs at least one group");
            }
            for (String name : g.keys()) {
                settings.put(name, GroupSettings.read(g.section(name), name));
            }
        } else {
            if (config.has("routes") || config.has("default_group")) {
                throw config.invalid(config.has("routes") ? "routes" : "default_group", "needs groups:");
            }
            settings.put(DEFAULT_GROUP, GroupSettings.read(config, DEFAULT_GROUP));
        }

        Map<String, Group> built = new LinkedHashMap<>();
        Map<String, Object> added = new LinkedHashMap<>();
        for (GroupSettings s : settings.values()) {
            built.put(s.name(), new Group(s, health(context, s, added), groupState(context, s.name(), added), metrics));
        }
        Routes r = config.has("groups") ? Routes.read(config, built) : Routes.single(built.get(DEFAULT_GROUP));
        // Accepted: only now may new backends' and groups' state join the carried state (a refused
        // config leaves none).
        added.forEach(context.carriedState()::putIfAbsent);

        List<ActiveChecker> made = new ArrayList<>();
        for (Group g : built.values()) {
            for (BackendHealth h : g.health) {
                metrics.publish(h);
            }
            if (g.settings.check() != null) {
                List<ActiveChecker.Target> targets = new ArrayList<>();
                for (int i = 0; i < g.size(); i++) {
                    targets.add(new ActiveChecker.Target(g.peer(i), g.health[i]));
                }
                made.add(new ActiveChecker(g.name(), targets, g.settings.check(), context.probes(), context.executor(),
                        g.panic, metrics.checks));
            }
        }
        forgetRemovedBackends(context, built);
        // Checks start last: nothing can fail after one runs, so a refused start leaves nothing behind.
        made.forEach(ActiveChecker::start);
        checkers.addAll(made);
        built.values().forEach(g -> g.panic.takeOverReports());
        groups = built;
        routes = r;
    }

    /**
     * The health of each backend of a group: carried over from the previous instance when the same
     * address stays in the same group, otherwise new in the check's initial state (up when there is
     * no active check: passive health takes it out if it fails).
     */
    private static BackendHealth[] health(PluginContext context, GroupSettings s, Map<String, Object> added) {
        BackendHealth[] out = new BackendHealth[s.backends().size()];
        boolean initialUp = s.check() == null || s.check().initialUp();
        for (int i = 0; i < out.length; i++) {
            String address = s.backends().get(i).peer().address();
            String key = healthKey(s.name(), address);
            Object kept = context.carriedState().get(key);
            if (kept == null) {
                kept = new BackendHealth(s.name(), address, initialUp);
                added.put(key, kept);
            }
            out[i] = (BackendHealth) kept;
        }
        return out;
    }

    /** What the group's instances share: carried over when a group of that name was configured before. */
    private static GroupState groupState(PluginContext context, String group, Map<String, Object> added) {
        Object kept = context.carriedState().get(groupKey(group));
        if (kept == null) {
            kept = new GroupState();
            added.put(groupKey(group), kept);
        }
        return (GroupState) kept;
    }

    /**
     * Drops the carried health of backends and groups no longer configured (the instance still
     * serving its last requests holds its own references, so nothing in flight loses its state).
     */
    private static void forgetRemovedBackends(PluginContext context, Map<String, Group> groups) {
        java.util.Set<String> kept = new java.util.HashSet<>();
        for (Group g : groups.values()) {
            kept.add(groupKey(g.name()));
            for (BackendHealth h : g.health) {
                kept.add(healthKey(g.name(), h.address()));
            }
        }
        context.carriedState().keySet().removeIf(k -> (k.startsWith("health|") || k.startsWith("group|"))
                && !kept.contains(k));
    }

    private static String healthKey(String group, String address) {
        return "health|" + group + "|" + address;
    }

    private static String groupKey(String group) {
        return "group|" + group;
    }

    @Override
    public void stop() {
        checkers.forEach(ActiveChecker::stop);
        checkers.clear();
        groups.values().forEach(g -> g.panic.releaseReports());
    }

    @Override
    public Attempts newContext(Session session) {
        return new Attempts();
    }

    @Override
    public Outcome upstreamPeer(Session session, Attempts a) {
        Routes r = routes;
        if (r == null) {
            return Outcome.proceed(); // only before start(): not ours to answer
        }
        Group g = a.group != null ? a.group : r.groupFor(session);
        if (g == null) {
            return Outcome.proceed();
        }
        release(a);
        return g.choose(session, a);
    }

    @Override
    public boolean failToConnect(Session session, Attempts a, UpstreamFailure failure) {
        return failed(a, failure);
    }

    @Override
    public boolean errorWhileProxying(Session session, Attempts a, UpstreamFailure failure) {
        return failed(a, failure);
    }

    /** Counts the failure against the backend, lets it go, and says whether to try another. */
    private boolean failed(Attempts a, UpstreamFailure failure) {
        Group g = a.group;
        if (g == null || a.current < 0 || !g.peer(a.current).equals(failure.peer())) {
            return false; // another plugin's peer
        }
        BackendHealth h = g.health[a.current];
        h.failed(failure.kind().name().toLowerCase() + ": " + describe(failure.cause()), a.trial, g.settings.passive(),
                System.nanoTime(), g.panic, g.ejections);
        release(a);
        if (failure.retryable() && a.retries < g.settings.maxRetries() && g.hasCandidate(a)) {
            a.retries++;
            return true;
        }
        return false;
    }

    private static String describe(Throwable cause) {
        if (cause == null) {
            return "no detail";
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    }

    @Override
    public void logging(Session session, Attempts a) {
        if (a.current < 0) {
            return;
        }
        Group g = a.group;
        BackendHealth h = g.health[a.current];
        int status = session.upstreamStatus();
        if (status > 0) {
            if (g.settings.passive().failure(status)) {
                h.failed("answered " + status, a.trial, g.settings.passive(), System.nanoTime(), g.panic, g.ejections);
            } else {
                h.succeeded(a.trial, g.panic);
            }
        } else if (a.trial) {
            h.trialAbandoned();
        }
        release(a);
    }

    /** The request lets its backend go (its in-flight count drops, and a trial it held ends). */
    private static void release(Attempts a) {
        if (a.current >= 0) {
            BackendHealth h = a.group.health[a.current];
            h.active().decrementAndGet();
            if (a.trial) {
                h.trialAbandoned(); // already settled when it had a verdict; this covers the rest
            }
            a.current = -1;
            a.trial = false;
        }
    }

    /** The groups by name, in configured order (for tests and status). */
    Map<String, Group> groups() {
        return groups;
    }
}
