package dev.turnpike.plugins.loadbalancer;

import static dev.turnpike.plugins.loadbalancer.LbTestSupport.defaultGroup;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.indexOf;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.map;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.req;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.started;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import java.io.IOException;
import java.net.ConnectException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The failure hooks: counting failures against the backend, and asking for another one. */
class FailoverTest {

    private static final ConnectException REFUSED = new ConnectException("Connection refused");

    private static LoadBalancer lb(Object... extra) {
        Map<String, Object> config = map(extra);
        config.putIfAbsent("backends", List.of("a:1", "b:2", "c:3"));
        return started(config);
    }

    private static UpstreamFailure connect(Peer peer, int attempt) {
        return new UpstreamFailure(peer, ProxyError.of(ErrorKind.CONNECT_REFUSED, "connect", REFUSED), attempt, null);
    }

    @Test
    void aFailedConnectAsksForAnotherBackend() {
        LoadBalancer lb = lb();
        Session s = req().build();
        Attempts a = lb.newContext(s);
        Outcome first = lb.upstreamPeer(s, a);
        assertTrue(lb.failToConnect(s, a, connect(first.peer(), 1)));
        Outcome second = lb.upstreamPeer(s, a);
        assertEquals(Outcome.Kind.UPSTREAM, second.kind());
        assertNotEquals(first.peer(), second.peer());
        assertTrue(lb.failToConnect(s, a, connect(second.peer(), 2)));
        Outcome third = lb.upstreamPeer(s, a);
        assertEquals(Set.of("a:1", "b:2", "c:3"),
                Set.of(first.peer().address(), second.peer().address(), third.peer().address()),
                "each attempt goes to a backend not tried yet");
    }

    @Test
    void anErrorWhileProxyingAsksForAnotherBackendToo() {
        LoadBalancer lb = lb();
        Session s = req().build();
        Attempts a = lb.newContext(s);
        Peer first = lb.upstreamPeer(s, a).peer();
        assertTrue(lb.errorWhileProxying(s, a,
                new UpstreamFailure(first, ProxyError.of(ErrorKind.UPSTREAM_RESET, "reset", new IOException("reset")), 1, null)));
        assertNotEquals(first, lb.upstreamPeer(s, a).peer());
    }

    @Test
    void maxRetriesBoundsTheRetries() {
        LoadBalancer lb = lb("max_retries", 1);
        Session s = req().build();
        Attempts a = lb.newContext(s);
        Peer first = lb.upstreamPeer(s, a).peer();
        assertTrue(lb.failToConnect(s, a, connect(first, 1)), "one retry allowed");
        Peer second = lb.upstreamPeer(s, a).peer();
        assertNotEquals(first, second);
        assertFalse(lb.failToConnect(s, a, connect(second, 2)), "the second failure is the last");
    }

    @Test
    void theRuntimesOwnResendDoesNotUseUpTheRetries() {
        // A stale pooled connection resent by the runtime on a fresh one counts as an attempt
        // (attempt() is 2 at the first failure the plugin hears of), not as one of max_retries.
        LoadBalancer lb = lb("max_retries", 1);
        Session s = req().build();
        Attempts a = lb.newContext(s);
        Peer first = lb.upstreamPeer(s, a).peer();
        assertTrue(lb.failToConnect(s, a, connect(first, 2)), "the plugin's one retry is still there");
        assertFalse(lb.failToConnect(s, a, connect(lb.upstreamPeer(s, a).peer(), 3)), "and then it is used");
    }

    @Test
    void maxRetriesZeroNeverRetries() {
        LoadBalancer lb = lb("max_retries", 0);
        Session s = req().build();
        Attempts a = lb.newContext(s);
        assertFalse(lb.failToConnect(s, a, connect(lb.upstreamPeer(s, a).peer(), 1)));
    }

    @Test
    void defaultMaxRetriesIsTwo() {
        LoadBalancer lb = lb("backends", List.of("a:1", "b:2", "c:3", "d:4"));
        Session s = req().build();
        Attempts a = lb.newContext(s);
        assertTrue(lb.failToConnect(s, a, connect(lb.upstreamPeer(s, a).peer(), 1)));
        assertTrue(lb.failToConnect(s, a, connect(lb.upstreamPeer(s, a).peer(), 2)));
        assertFalse(lb.failToConnect(s, a, connect(lb.upstreamPeer(s, a).peer(), 3)), "d:4 is left, but not tried");
    }

    @Test
    void noRetryWhenEveryBackendWasTried() {
        LoadBalancer lb = lb("backends", List.of("a:1", "b:2"), "max_retries", 5);
        Session s = req().build();
        Attempts a = lb.newContext(s);
        assertTrue(lb.failToConnect(s, a, connect(lb.upstreamPeer(s, a).peer(), 1)));
        assertFalse(lb.failToConnect(s, a, connect(lb.upstreamPeer(s, a).peer(), 2)), "no backend is left untried");
        // Asked again anyway (another plugin wanted a retry): nothing left is a 502, not "all down".
        Outcome o = lb.upstreamPeer(s, a);
        assertEquals(Outcome.Kind.RESPOND, o.kind());
        assertEquals(502, o.response().status());
    }

    @Test
    void noRetryWhenTheOthersAreDown() {
        LoadBalancer lb = lb("backends", List.of("a:1", "b:2"), "passive", map("max_fails", 1));
        // b:2 is ejected first.
        Attempts onB = LbTestSupport.requestTo(lb, "b:2");
        Session s = req().build();
        assertTrue(lb.failToConnect(s, onB, connect(defaultGroup(lb).peer(1), 1)));
        Attempts a = LbTestSupport.requestTo(lb, "a:1");
        assertFalse(lb.failToConnect(s, a, connect(defaultGroup(lb).peer(0), 1)),
                "the only untried backend is down: no retry");
    }

    @Test
    void aNonRetryableFailureStillCountsAgainstTheBackend() {
        LoadBalancer lb = lb("passive", map("max_fails", 2));
        Group g = defaultGroup(lb);
        Session s = req().build();
        Attempts a = LbTestSupport.requestTo(lb, "a:1");
        assertFalse(lb.errorWhileProxying(s, a,
                new UpstreamFailure(g.peer(0), ProxyError.of(ErrorKind.UPSTREAM_RESET, "reset", new IOException("reset")), 1, "POST is not idempotent")));
        assertTrue(g.health[0].up(), "one failure of two");
        assertEquals(0, g.health[0].active().get(), "the backend is let go");
        lb.logging(req().status(0).build(), a);
        assertEquals(0, g.health[0].active().get(), "logging does not let it go twice");

        Attempts b = LbTestSupport.requestTo(lb, "a:1");
        assertFalse(lb.failToConnect(s, b, new UpstreamFailure(g.peer(0), ProxyError.of(ErrorKind.CONNECT_REFUSED, "connect", REFUSED), 1, "client gone")));
        assertFalse(g.health[0].up(), "the second non-retryable failure ejects it");
    }

    @Test
    void aFailureOfAPeerItDidNotPickIsNotItsBusiness() {
        LoadBalancer lb = lb("passive", map("max_fails", 1));
        Group g = defaultGroup(lb);
        Session s = req().build();
        Attempts a = lb.newContext(s);
        Peer picked = lb.upstreamPeer(s, a).peer();
        Peer other = g.peer((indexOf(g, picked.address()) + 1) % 3);
        assertFalse(lb.failToConnect(s, a, connect(other, 1)));
        assertFalse(lb.failToConnect(s, a, connect(Peer.of("elsewhere", 9), 1)));
        assertTrue(g.health[indexOf(g, other.address())].up(), "not counted against a backend it did not pick");
        assertTrue(g.health[indexOf(g, picked.address())].up());
        assertEquals(1, g.health[indexOf(g, picked.address())].active().get(), "its own backend is still held");
    }

    @Test
    void aFailureBeforeAnyPickIsNotItsBusiness() {
        LoadBalancer lb = lb("passive", map("max_fails", 1));
        Session s = req().build();
        Attempts a = lb.newContext(s);
        assertFalse(lb.failToConnect(s, a, connect(defaultGroup(lb).peer(0), 1)));
        assertTrue(defaultGroup(lb).health[0].up());
    }

    @Test
    void aFailureIsCountedOnceEvenIfReportedTwice() {
        LoadBalancer lb = lb("passive", map("max_fails", 2));
        Group g = defaultGroup(lb);
        Session s = req().build();
        Attempts a = LbTestSupport.requestTo(lb, "a:1");
        lb.failToConnect(s, a, connect(g.peer(0), 1));
        // The runtime calls both hooks only once per attempt, but a duplicate must not eject it.
        assertFalse(lb.errorWhileProxying(s, a, connect(g.peer(0), 1)));
        assertTrue(g.health[0].up());
        assertEquals(0, g.health[0].active().get());
    }
}
