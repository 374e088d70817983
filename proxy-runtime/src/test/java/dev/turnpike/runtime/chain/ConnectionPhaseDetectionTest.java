package dev.turnpike.runtime.chain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ConnectionPlugin;
import dev.turnpike.api.ConnectionSession;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which connection phases a plugin is called for: the ones it overrides with a
 * {@link ConnectionSession} first parameter, never its HTTP overloads of the same name, never
 * {@link ConnectionPlugin}'s defaults; and how a {@link Chain} splits its links between the HTTP
 * phases and each tcp listener.
 */
class ConnectionPhaseDetectionTest {

    /** HTTP only, with methods named like connection phases. */
    static final class HttpOnly implements ProxyPlugin<Void> {
        @Override
        public Outcome upstreamPeer(Session session, Void ctx) {
            return Outcome.proceed();
        }

        @Override
        public void logging(Session session, Void ctx) {
        }
    }

    /** Both kinds: its HTTP upstream_peer must not count as the connection one, nor the reverse. */
    static final class Both implements ProxyPlugin<Void>, ConnectionPlugin<String> {
        @Override
        public Outcome requestFilter(Session session, Void ctx) {
            return Outcome.proceed();
        }

        @Override
        public Outcome upstreamPeer(ConnectionSession session, String ctx) {
            return Outcome.proceed();
        }

        @Override
        public boolean failToConnect(ConnectionSession session, String ctx, UpstreamFailure failure) {
            return false;
        }
    }

    /** A connection filter from a mixin interface of its own. */
    interface DenyAll extends ConnectionPlugin<Void> {
        @Override
        default Outcome connectionFilter(ConnectionSession session, Void ctx) {
            return Outcome.reject("no");
        }
    }

    static final class Mixin implements ProxyPlugin<Void>, DenyAll {
    }

    /** Implements the interface and overrides nothing. */
    static final class Idle implements ProxyPlugin<Void>, ConnectionPlugin<Void> {
    }

    @Test
    void detectsOnlyTheConnectionOverrides() {
        assertFalse(ConnectionPhase.UPSTREAM_PEER.isImplementedBy(new HttpOnly()), "not a ConnectionPlugin at all");
        assertFalse(ConnectionPhase.LOGGING.isImplementedBy(new HttpOnly()));
        assertTrue(ConnectionPhase.UPSTREAM_PEER.isImplementedBy(new Both()));
        assertTrue(ConnectionPhase.FAIL_TO_CONNECT.isImplementedBy(new Both()));
        assertFalse(ConnectionPhase.CONNECTION_FILTER.isImplementedBy(new Both()));
        assertFalse(ConnectionPhase.LOGGING.isImplementedBy(new Both()));
        assertTrue(ConnectionPhase.CONNECTION_FILTER.isImplementedBy(new Mixin()));
        for (ConnectionPhase p : ConnectionPhase.values()) {
            assertFalse(p.isImplementedBy(new Idle()), p + ": the interface's own defaults are skipped");
        }
    }

    @Test
    void aChainSplitsItsLinksBetweenHttpAndEachListener() {
        List<ChainLink> links = List.of(ChainLink.of("both", "1", new Both()), ChainLink.of("both", "1", new Both()),
                ChainLink.of("mixin", "1", new Mixin()), ChainLink.of("http", "1", new HttpOnly()));
        Chain chain = new Chain(links, Arrays.asList(null, "a", "b", null));

        assertArrayEquals(new int[] {0}, chain.positions(Chain.Phase.REQUEST_FILTER),
                "only the HTTP link of Both runs request_filter");
        assertArrayEquals(new int[] {3}, chain.positions(Chain.Phase.UPSTREAM_PEER));
        assertArrayEquals(new int[] {0}, chain.connections("a").positions(ConnectionPhase.UPSTREAM_PEER));
        assertEquals(1, chain.connections("a").size());
        assertArrayEquals(new int[] {0}, chain.connections("b").positions(ConnectionPhase.CONNECTION_FILTER));
        assertArrayEquals(new int[0], chain.connections("b").positions(ConnectionPhase.UPSTREAM_PEER));
        assertEquals(4, chain.links().size(), "the lifecycle sees every link");
    }
}
