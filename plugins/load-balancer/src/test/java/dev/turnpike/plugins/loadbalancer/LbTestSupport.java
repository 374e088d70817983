package dev.turnpike.plugins.loadbalancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Session;
import dev.turnpike.testkit.phases.FakeMetrics;
import dev.turnpike.testkit.phases.FakePluginContext;
import dev.turnpike.testkit.phases.FakeSession;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentMap;



/**
 * Helpers for the balancer's tests over proxy-testkit-phases: a {@link FakePluginContext} whose
 * event loop, probes, metrics and carried state the test controls, and requests as
 * {@link FakeSession}s. Nothing here sleeps or starts a thread: scheduled tasks and probes run only
 * when the test says so.
 */
final class LbTestSupport {

    /** Where the runtime puts the first chain entry's config: errors must name keys under it. */
    static final String PREFIX = FakePluginContext.HTTP_PATH;

    /** Where it puts the config of a tcp listener's first chain entry. */
    static final String TCP_PREFIX = FakePluginContext.TCP_PATH;

    private LbTestSupport() {
    }

    // ------------------------------------------------------------------ config

    /** An ordered mapping from alternating keys and values, as YAML would give it. */
    static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    /** A started balancer over this config (with a fresh context). */
    static LoadBalancer started(Map<String, Object> config) {
        return started(context(config));
    }

    /** A balancer started with {@code context}, its start() called directly (unread keys are the test's to check). */
    static LoadBalancer started(FakePluginContext context) {
        LoadBalancer lb = new LoadBalancer();
        lb.start(context);
        return lb;
    }

    /** The single group of the one-group form. */
    static Group defaultGroup(LoadBalancer lb) {
        return lb.groups().get(LoadBalancer.DEFAULT_GROUP);
    }

    /** The index of {@code address} in {@code g}. */
    static int indexOf(Group g, String address) {
        for (int i = 0; i < g.size(); i++) {
            if (g.peer(i).address().equals(address)) {
                return i;
            }
        }
        throw new AssertionError(address + " is not in group " + g.name());
    }

    // ------------------------------------------------------------------ requests

    /** Asks for a peer and checks that the answer is one. */
    static String pickAddress(LoadBalancer lb, Session s, Attempts a) {
        Outcome o = lb.upstreamPeer(s, a);
        assertEquals(Outcome.Kind.UPSTREAM, o.kind(), () -> "expected a peer, got " + o);
        return o.peer().address();
    }

    /**
     * Starts requests until one is sent to {@code address} and returns its context, still holding
     * the backend; requests sent elsewhere are ended with a 200.
     */
    static Attempts requestTo(LoadBalancer lb, String address) {
        Session ok = req().status(200).build();
        for (int i = 0; i < 1000; i++) {
            Attempts a = lb.newContext(ok);
            if (pickAddress(lb, ok, a).equals(address)) {
                return a;
            }
            lb.logging(ok, a);
        }
        return fail("no request went to " + address);
    }

    /** One whole request to {@code address}, whose backend answers {@code status}. */
    static void answer(LoadBalancer lb, String address, int status) {
        Attempts a = requestTo(lb, address);
        lb.logging(req().status(status).build(), a);
    }

    static Req req() {
        return new Req();
    }

    /** Builds a session: client address, Host, path, headers, upstream status. */
    static final class Req {
        private String client = "192.0.2.10";
        private String host = "example.com";
        private String path = "/";
        private final Map<String, String> headers = new LinkedHashMap<>();
        private int status;

        Req client(String ip) {
            this.client = ip;
            return this;
        }

        /** The Host header ({@code null}: none). */
        Req host(String host) {
            this.host = host;
            return this;
        }

        Req path(String path) {
            this.path = path;
            return this;
        }

        Req header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        /** What {@link Session#upstreamStatus()} says (0: no backend answered). */
        Req status(int status) {
            this.status = status;
            return this;
        }

        Session build() {
            FakeSession s = FakeSession.get(path).client(client).upstreamStatus(status);
            if (host != null) {
                s.header("Host", host);
            }
            headers.forEach(s::header);
            return s;
        }
    }

    // ------------------------------------------------------------------ the plugin's context

    /** The context of the first entry of {@code plugins.chain}, whose loop, probes, metrics and carried state belong to the test. */
    static FakePluginContext context(Map<String, Object> config) {
        return new FakePluginContext(config).pluginId("load-balancer").pluginVersion("test");
    }

    /** As {@link #context(Map)}, with this carried state (the map a reload hands on). */
    static FakePluginContext context(Map<String, Object> config, ConcurrentMap<String, Object> carried) {
        return context(config).carriedState(carried);
    }

    /** An entry of a chain of this kind (its config under {@link #PREFIX} or {@link #TCP_PREFIX}). */
    static FakePluginContext context(Map<String, Object> config, ChainKind chain) {
        return context(config).chainKind(chain);
    }

    /** The lb_panic gauge of a group, or null when never published. */
    static Double panic(FakeMetrics metrics, String group) {
        return metrics.find("lb_panic", group);
    }

    /** The lb_backend_up gauge of a backend, or null when never published. */
    static Double up(FakeMetrics metrics, String group, String backend) {
        return metrics.find("lb_backend_up", group, backend);
    }

    /** How many times the backend went {@code state} ("up" or "down"); 0 when never. */
    static double changes(FakeMetrics metrics, String group, String backend, String state) {
        return metrics.value("lb_backend_state_changes_total", group, backend, state);
    }
}
