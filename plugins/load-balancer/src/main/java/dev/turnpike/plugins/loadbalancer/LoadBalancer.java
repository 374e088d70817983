package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.ConnectionPlugin;
import dev.turnpike.api.ConnectionSession;
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
 * health checks and failover to another backend, for the HTTP chain and for the chains of
 * {@code tcp:} listeners alike. Configuration: {@code plugins/load-balancer/README.md}.
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
 * <p>A tcp listener's connection goes the same way through the {@link ConnectionPlugin} phases,
 * with what a connection lacks taken out: its group is the only one or {@code default_group} (no
 * Host or path to route on), consistent hashing hashes the client address, a group with no
 * backend to offer rejects the connection instead of answering 503 or 502, and a connection that
 * was relayed counts as a success when it ends. {@link PluginContext#chainKind()} tells an instance
 * at start which chain it serves, and it refuses what has no meaning there.
 *
 * <p>Passive health never ejects a group's last healthy backend ({@link EjectionGuard}), and a group
 * with too few healthy backends is in panic and spreads traffic over all of them ({@link Panic}).
 *
 * <p>Health state lives in {@link BackendHealth} objects kept in the plugin's carried state, one per
 * group and address, beside a {@link GroupState} per group ({@link CarriedState}): a configuration
 * reload keeps what is known of every backend that stayed in its group, and the new instance's
 * health checks and panic reports take over from the old one's.
 */
@Extension
public final class LoadBalancer implements ProxyPlugin<Attempts>, ConnectionPlugin<Attempts> {

    /** The group name used by the one-group form ({@code backends:} at the top of the config). */
    static final String DEFAULT_GROUP = "default";

    private volatile Routes routes;
    private volatile Map<String, Group> groups = Map.of();
    private final List<ActiveChecker> checkers = new ArrayList<>();
    private LbMetrics metrics;
    /** What the configuration this instance started with dropped; forgotten by {@link #activated}. */
    private CarriedState.Gone gone;
    private dev.turnpike.api.metrics.PluginMetrics pluginMetrics;

    @Override
    public void start(PluginContext context) {
        ConfigSection config = context.config();
        ChainKind chain = context.chainKind();
        metrics = new LbMetrics(context.metrics(), chain);
        Map<String, GroupSettings> settings = readGroups(config, chain);

        CarriedState carried = new CarriedState(context.carriedState());
        Map<String, Group> built = new LinkedHashMap<>();
        for (GroupSettings s : settings.values()) {
            built.put(s.name(), new Group(s, carried.health(s), carried.groupState(s.name()), metrics, chain));
        }
        Routes r = config.has("groups") ? Routes.read(config, built) : Routes.single(built.get(DEFAULT_GROUP));
        // Accepted: only now may new backends' and groups' state join the carried state (a refused
        // config leaves none).
        carried.keepAdded();

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
        gone = carried.forgetAllBut(built.values());
        pluginMetrics = context.metrics();
        // Checks start last: nothing can fail after one runs, so a refused start leaves nothing behind.
        made.forEach(ActiveChecker::start);
        checkers.addAll(made);
        built.values().forEach(g -> g.panic.takeOverReports());
        groups = built;
        routes = r;
    }

    /** The groups' settings: those under {@code groups:}, or the one group of the top-level keys. */
    private static Map<String, GroupSettings> readGroups(ConfigSection config, ChainKind chain) {
        if (chain == ChainKind.TCP && config.has("routes")) {
            throw config.invalid("routes", "a tcp listener has no Host or path to route on; use default_group");
        }
        Map<String, GroupSettings> settings = new LinkedHashMap<>();
        if (!config.has("groups")) {
            if (config.has("routes") || config.has("default_group")) {
                throw config.invalid(config.has("routes") ? "routes" : "default_group", "needs groups:");
            }
            settings.put(DEFAULT_GROUP, GroupSettings.read(config, DEFAULT_GROUP, chain));
            return settings;
        }
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
            settings.put(name, GroupSettings.read(g.section(name), name, chain));
        }
        if (chain == ChainKind.TCP && settings.size() > 1 && !config.has("default_group")) {
            // Without it no connection would reach any group: refused rather than closing every one.
            throw config.invalid("default_group", "required with several groups: a tcp listener has no Host or path"
                    + " to route on, so every connection goes to default_group");
        }
        return settings;
    }

    /**
     * The previous generation has drained: the series of the groups and backends this configuration
     * dropped (the balancer's own and the runtime's per-backend ones) can go without an older
     * instance recording them again.
     */
    @Override
    public void activated() {
        CarriedState.Gone g = gone;
        if (g == null) {
            return;
        }
        gone = null;
        g.addresses().forEach(a -> pluginMetrics.forget("backend", a));
        g.groups().forEach(name -> pluginMetrics.forget("group", name));
    }

    @Override
    public void stop() {
        checkers.forEach(ActiveChecker::stop);
        checkers.clear();
        groups.values().forEach(g -> g.panic.releaseReports());
    }

    // ------------------------------------------------------------------ HTTP: plugins.chain

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
        HashKey key = g.settings.hashKey();
        return choose(g, key == null ? 0 : key.hash(session), a);
    }

    @Override
    public boolean failToConnect(Session session, Attempts a, UpstreamFailure failure) {
        return a.failed(failure);
    }

    @Override
    public boolean errorWhileProxying(Session session, Attempts a, UpstreamFailure failure) {
        return a.failed(failure);
    }

    @Override
    public void logging(Session session, Attempts a) {
        if (!a.holds()) {
            return;
        }
        int status = session.upstreamStatus();
        if (status > 0) {
            if (a.group.settings.passive().failure(status)) {
                a.countFailure("answered " + status);
            } else {
                a.countSuccess();
            }
        }
        a.release(); // without an answer, no verdict: a trial it held is open to the next request
    }

    // ------------------------------------------------------------------ TCP: a tcp listener's chain

    @Override
    public Attempts newConnectionContext(ConnectionSession session) {
        return new Attempts();
    }

    @Override
    public Outcome upstreamPeer(ConnectionSession session, Attempts a) {
        Routes r = routes;
        Group g = a.group != null ? a.group : r == null ? null : r.fallback();
        if (g == null) {
            return Outcome.proceed(); // only before start(): not ours to answer
        }
        HashKey key = g.settings.hashKey();
        return choose(g, key == null ? 0 : key.hash(session), a);
    }

    /** The next attempt's backend, for a request or a connection: the last one it held is let go first. */
    private static Outcome choose(Group g, long hash, Attempts a) {
        a.release();
        return g.choose(hash, a);
    }

    @Override
    public boolean failToConnect(ConnectionSession session, Attempts a, UpstreamFailure failure) {
        return a.failed(failure);
    }

    @Override
    public void logging(ConnectionSession session, Attempts a) {
        if (!a.holds()) {
            return; // never connected, or its failed connect already let the backend go
        }
        if (session.relayed()) {
            // The connect is the backend's only verdict on a connection: bytes relayed are no answer to judge.
            a.countSuccess();
        }
        a.release();
    }

    /** The groups by name, in configured order (for tests and status). */
    Map<String, Group> groups() {
        return groups;
    }
}
