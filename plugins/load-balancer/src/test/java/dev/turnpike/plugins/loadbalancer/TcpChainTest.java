package dev.turnpike.plugins.loadbalancer;

import static dev.turnpike.plugins.loadbalancer.LbTestSupport.context;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.defaultGroup;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.indexOf;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.map;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.req;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.started;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.ConnectionSession;
import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.testkit.phases.FakeConnectionSession;
import dev.turnpike.testkit.phases.FakeHealthProbes;
import dev.turnpike.testkit.phases.FakePluginContext;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The connection phases of a tcp listener's chain: the same choice, health and failover as for HTTP
 * requests, with a reject where HTTP answers 503 or 502, and a relayed connection as the success.
 */
class TcpChainTest {

    private static final String A = "127.0.0.1:15432";
    private static final String B = "127.0.0.1:15433";

    /** A tcp chain's config: backends A and B plus the given keys. */
    private static Map<String, Object> config(Object... keysAndValues) {
        Map<String, Object> m = map(keysAndValues);
        m.putIfAbsent("backends", List.of(A, B));
        return m;
    }

    private static FakePluginContext tcpContext(Object... keysAndValues) {
        return context(config(keysAndValues), ChainKind.TCP);
    }

    private static LoadBalancer tcp(Object... keysAndValues) {
        return started(tcpContext(keysAndValues));
    }

    private static UpstreamFailure refused(Peer peer, int attempt) {
        return new UpstreamFailure(peer, ProxyError.of(ErrorKind.CONNECT_REFUSED, "connect",
                new ConnectException("Connection refused")), attempt, null);
    }

    private static String peerOf(Outcome o) {
        assertEquals(Outcome.Kind.UPSTREAM, o.kind(), () -> "expected a peer, got " + o);
        return o.peer().address();
    }

    /**
     * Opens connections until one goes to {@code address} and returns its context, still holding
     * the backend; connections sent elsewhere are relayed and closed.
     */
    private static Attempts connectionTo(LoadBalancer lb, String address) {
        ConnectionSession relayed = conn().relayed(true).build();
        for (int i = 0; i < 1000; i++) {
            Attempts a = lb.newConnectionContext(relayed);
            if (peerOf(lb.upstreamPeer(relayed, a)).equals(address)) {
                return a;
            }
            lb.logging(relayed, a);
        }
        return fail("no connection went to " + address);
    }

    private static Conn conn() {
        return new Conn();
    }

    /** Builds a connection of a tcp listener: client address, and whether it was relayed. */
    private static final class Conn {
        private String client = "192.0.2.10";
        private boolean relayed;

        Conn client(String ip) {
            this.client = ip;
            return this;
        }

        /** What {@link ConnectionSession#relayed()} says (false: never connected or relayed). */
        Conn relayed(boolean relayed) {
            this.relayed = relayed;
            return this;
        }

        ConnectionSession build() {
            return FakeConnectionSession.from(client).relayed(relayed);
        }
    }

    private static void spinFor(long nanos) {
        long until = System.nanoTime() + nanos;
        while (System.nanoTime() - until < 0) {
            Thread.onSpinWait();
        }
    }

    // ------------------------------------------------------------------ choosing

    @Test
    void theListenerExampleRotatesOverItsTwoBackends() {
        FakePluginContext ctx = tcpContext("health_check", map("type", "tcp", "interval", "1s"));
        LoadBalancer lb = started(ctx);
        assertEquals(List.of(), ctx.config().unreadKeys(), "every key of the example is read");

        List<String> order = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ConnectionSession s = conn().relayed(true).build();
            Attempts a = lb.newConnectionContext(s);
            Outcome o = lb.upstreamPeer(s, a);
            assertFalse(o.peer().tls(), "a plain host:port is a plain connection");
            order.add(peerOf(o));
            lb.logging(s, a);
        }
        assertEquals(List.of(A, B, A, B), order);

        // Its health check connects and closes: no HTTP is sent to a database port.
        ctx.executor().runPending();
        assertEquals(2, ctx.probes().calls().size());
        for (FakeHealthProbes.Call c : ctx.probes().calls()) {
            assertNull(c.http(), "a tcp probe of " + c.peer());
        }
    }

    @Test
    void consistentHashingKeepsAClientOnItsBackend() {
        LoadBalancer lb = tcp("backends", List.of("a:1", "b:2", "c:3", "d:4"), "policy", "consistent_hash",
                "hash_key", "client_ip");
        Set<String> first = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            ConnectionSession s = conn().client("198.51.100.7").relayed(true).build();
            Attempts a = lb.newConnectionContext(s);
            first.add(peerOf(lb.upstreamPeer(s, a)));
            lb.logging(s, a);
        }
        assertEquals(1, first.size(), "one client, one backend: " + first);

        Set<String> spread = new HashSet<>();
        for (int i = 1; i <= 50; i++) {
            ConnectionSession s = conn().client("198.51.100." + i).build();
            spread.add(peerOf(lb.upstreamPeer(s, lb.newConnectionContext(s))));
        }
        assertTrue(spread.size() >= 3, "clients spread over the ring: " + spread);
    }

    @Test
    void anHttpsBackendStaysATlsPeer() {
        LoadBalancer lb = tcp("backends", List.of("https://db.internal:5432", B));
        Group g = defaultGroup(lb);
        assertTrue(g.peer(0).tls(), "the runtime originates TLS to it");
        assertEquals("db.internal:5432", g.peer(0).address());
        assertFalse(g.peer(1).tls());
        ConnectionSession s = conn().build();
        assertTrue(lb.upstreamPeer(s, lb.newConnectionContext(s)).peer().tls());
    }

    @Test
    void theDefaultGroupTakesEveryConnection() {
        LoadBalancer lb = started(context(map(
                "groups", map("primary", map("backends", List.of(A)), "replica", map("backends", List.of(B))),
                "default_group", "replica"), ChainKind.TCP));
        for (int i = 0; i < 3; i++) {
            ConnectionSession s = conn().build();
            assertEquals(B, peerOf(lb.upstreamPeer(s, lb.newConnectionContext(s))));
        }
    }

    // ------------------------------------------------------------------ failures

    @Test
    void aFailedConnectCountsAndRetriesTheOtherBackendUntilNoneIsLeft() {
        LoadBalancer lb = tcp("passive", map("max_fails", 1));
        Group g = defaultGroup(lb);
        ConnectionSession s = conn().build();
        Attempts a = lb.newConnectionContext(s);

        Outcome first = lb.upstreamPeer(s, a);
        int firstIndex = indexOf(g, peerOf(first));
        assertTrue(lb.failToConnect(s, a, refused(first.peer(), 1)), "the other backend is left: retry");
        assertFalse(g.health[firstIndex].up(), "max_fails: 1 ejects it at its first failed connect");
        assertEquals(0, g.health[firstIndex].active().get(), "the failed backend is let go");

        Outcome second = lb.upstreamPeer(s, a);
        assertNotEquals(peerOf(first), peerOf(second), "the retry goes to the other backend");
        assertFalse(lb.failToConnect(s, a, refused(second.peer(), 2)), "every backend was tried: no retry");

        Outcome third = lb.upstreamPeer(s, a);
        assertEquals(Outcome.Kind.REJECT, third.kind(), () -> "a tcp chain may not respond: " + third);
        assertEquals("every backend of group default that could be tried failed", third.reason());
        assertNull(third.response());

        lb.logging(s, a);
        for (int i = 0; i < g.size(); i++) {
            assertEquals(0, g.health[i].active().get(), "nothing held once the connection is over");
        }
    }

    @Test
    void aConnectFailureThatMayNotBeRetriedStillCounts() {
        LoadBalancer lb = tcp("passive", map("max_fails", 1));
        Group g = defaultGroup(lb);
        ConnectionSession s = conn().build();
        Attempts a = connectionTo(lb, A);
        UpstreamFailure clientGone = new UpstreamFailure(g.peer(indexOf(g, A)),
                ProxyError.of(ErrorKind.CONNECT_TIMEOUT, "connect", null), 1, "the client has gone");
        assertFalse(lb.failToConnect(s, a, clientGone));
        assertFalse(g.health[indexOf(g, A)].up(), "counted against the backend all the same");
    }

    @Test
    void everyBackendDownRejectsWithTheReason() {
        FakePluginContext ctx = tcpContext("health_check", map("type", "tcp", "fall", 1), "when_all_down", "unavailable");
        LoadBalancer lb = started(ctx);
        ctx.executor().runPending();
        assertEquals(2, ctx.probes().completeAll(FakeHealthProbes.refused()));
        Group g = defaultGroup(lb);
        assertFalse(g.health[0].up() || g.health[1].up(), "both checks failed");

        ConnectionSession s = conn().build();
        Attempts a = lb.newConnectionContext(s);
        Outcome o = lb.upstreamPeer(s, a);
        assertEquals(Outcome.Kind.REJECT, o.kind(), () -> "expected a reject, got " + o);
        assertEquals("no healthy backend in group default", o.reason());
        assertFalse(a.holds());
        assertEquals(1.0, ctx.metrics().find("lb_all_backends_down_total", "default", "reject"));
        assertNull(ctx.metrics().find("lb_all_backends_down_total", "default", "503"), "no 503 was answered");
    }

    @Test
    void theSameGroupInAnHttpChainStillAnswers503And502() {
        Map<String, Object> config = config("health_check", map("type", "tcp", "fall", 1),
                "when_all_down", "unavailable");
        FakePluginContext ctx = context(config, ChainKind.HTTP);
        LoadBalancer lb = started(ctx);
        ctx.executor().runPending();
        ctx.probes().completeAll(FakeHealthProbes.refused());
        Session s = req().build();
        Outcome down = lb.upstreamPeer(s, lb.newContext(s));
        assertEquals(Outcome.Kind.RESPOND, down.kind());
        assertEquals(503, down.response().status());
        assertEquals(1.0, ctx.metrics().find("lb_all_backends_down_total", "default", "503"));

        LoadBalancer fresh = started(context(config(), ChainKind.HTTP));
        Attempts a = fresh.newContext(s);
        assertTrue(fresh.failToConnect(s, a, refused(fresh.upstreamPeer(s, a).peer(), 1)));
        assertFalse(fresh.failToConnect(s, a, refused(fresh.upstreamPeer(s, a).peer(), 2)));
        Outcome exhausted = fresh.upstreamPeer(s, a);
        assertEquals(Outcome.Kind.RESPOND, exhausted.kind());
        assertEquals(502, exhausted.response().status());
    }

    // ------------------------------------------------------------------ the end of a connection

    @Test
    void aRelayedConnectionIsLetGoAndLeastConnectionsSeesIt() {
        LoadBalancer lb = tcp("policy", "least_conn");
        Group g = defaultGroup(lb);
        ConnectionSession relayed = conn().relayed(true).build();
        Attempts first = lb.newConnectionContext(relayed);
        String x = peerOf(lb.upstreamPeer(relayed, first));
        Attempts second = lb.newConnectionContext(relayed);
        String y = peerOf(lb.upstreamPeer(relayed, second));
        assertNotEquals(x, y, "the second connection goes to the backend with none");
        assertEquals(1, g.health[indexOf(g, x)].active().get());

        lb.logging(relayed, first);
        assertEquals(0, g.health[indexOf(g, x)].active().get(), "the closed connection is let go");
        assertEquals(1, g.health[indexOf(g, y)].active().get(), "the open one is still held");
        Attempts third = lb.newConnectionContext(relayed);
        assertEquals(x, peerOf(lb.upstreamPeer(relayed, third)), "least_conn sees x free again");
        lb.logging(relayed, first);
        assertEquals(1, g.health[indexOf(g, x)].active().get(), "a second logging lets nothing go twice");
    }

    @Test
    void aRelayedConnectionEndsTheFailureStreak() {
        LoadBalancer lb = tcp("passive", map("max_fails", 2));
        Group g = defaultGroup(lb);
        ConnectionSession s = conn().build();
        lb.failToConnect(s, connectionTo(lb, A), refused(g.peer(indexOf(g, A)), 1));
        lb.logging(conn().relayed(true).build(), connectionTo(lb, A));
        lb.failToConnect(s, connectionTo(lb, A), refused(g.peer(indexOf(g, A)), 1));
        assertTrue(g.health[indexOf(g, A)].up(), "one failure since the relayed connection, of max_fails 2");
    }

    @Test
    void aConnectionThatWasNotRelayedIsNoVerdict() {
        LoadBalancer lb = tcp("passive", map("max_fails", 2));
        Group g = defaultGroup(lb);
        ConnectionSession s = conn().build();
        lb.failToConnect(s, connectionTo(lb, A), refused(g.peer(indexOf(g, A)), 1));
        Attempts neverRelayed = connectionTo(lb, A);
        lb.logging(conn().relayed(false).build(), neverRelayed);
        assertEquals(0, g.health[indexOf(g, A)].active().get(), "let go all the same");
        lb.failToConnect(s, connectionTo(lb, A), refused(g.peer(indexOf(g, A)), 1));
        assertFalse(g.health[indexOf(g, A)].up(), "two failures in a row: the streak went on");
    }

    @Test
    void aRelayedTrialConnectionBringsTheBackendBack() {
        LoadBalancer lb = tcp("passive", map("max_fails", 1, "cooldown", "1ms"));
        Group g = defaultGroup(lb);
        int ai = indexOf(g, A);
        lb.failToConnect(conn().build(), connectionTo(lb, A), refused(g.peer(ai), 1));
        assertFalse(g.health[ai].up());
        spinFor(5_000_000); // past the cool-down

        Attempts trial = connectionTo(lb, A);
        assertTrue(trial.trial, "the first connection after the cool-down is its trial");
        assertFalse(g.health[ai].up(), "down until the trial's verdict");
        lb.logging(conn().relayed(true).build(), trial);
        assertTrue(g.health[ai].up(), "relayed: back in");
        assertEquals(0, g.health[ai].active().get());
    }
}
