package dev.turnpike.runtime.chain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.BodyChunk;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamConnection;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.runtime.chain.Chain.Phase;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pins down which phases {@link Chain#positions} lists a plugin for: every phase it overrides, in
 * its own class, in a superclass, or as a default method of an interface of its own (a mixin), and
 * none it leaves as {@link ProxyPlugin}'s no-op defaults. Covers every phase, body phases,
 * connected_to_upstream and fail_to_proxy included.
 */
class PhaseDetectionTest {

    // --- plugins -------------------------------------------------------------------------------

    /** Overrides nothing the request path calls: only its lifecycle. */
    static final class LifecycleOnly implements ProxyPlugin<Void> {
        @Override
        public void start(PluginContext context) {
        }

        @Override
        public void stop() {
        }
    }

    /** A context type of its own: the override takes a String, its bridge an Object. */
    static final class TypedContext implements ProxyPlugin<String> {
        @Override
        public String newContext(Session session) {
            return "ctx";
        }

        @Override
        public Outcome requestFilter(Session session, String ctx) {
            return Outcome.proceed();
        }
    }

    static class Balancer implements ProxyPlugin<Object> {
        @Override
        public Outcome upstreamPeer(Session session, Object ctx) {
            return Outcome.proceed();
        }

        @Override
        public boolean failToConnect(Session session, Object ctx, UpstreamFailure failure) {
            return true;
        }

        @Override
        public boolean errorWhileProxying(Session session, Object ctx, UpstreamFailure failure) {
            return true;
        }
    }

    /** Takes its phases from its superclass, adds one of its own. */
    static final class WeightedBalancer extends Balancer {
        @Override
        public void connectedToUpstream(Session session, Object ctx, UpstreamConnection connection) {
        }
    }

    /** A mixin: a phase as a default method of an interface other than ProxyPlugin. */
    interface AddsHeader<C> extends ProxyPlugin<C> {
        @Override
        default Outcome responseFilter(Session session, C ctx) {
            session.response().headers().set("X-Added", "1");
            return Outcome.proceed();
        }
    }

    static final class HeaderPlugin implements AddsHeader<Void> {
    }

    /** A mixin of a mixin. */
    interface LogsToo<C> extends AddsHeader<C> {
        @Override
        default void logging(Session session, C ctx) {
        }
    }

    static final class DeepMixin implements LogsToo<Void> {
    }

    /** A mixin taken through a superclass. */
    abstract static class MixinBase implements AddsHeader<Object> {
    }

    static final class InheritsMixin extends MixinBase {
        @Override
        public Outcome upstreamRequestFilter(Session session, Object ctx) {
            return Outcome.proceed();
        }
    }

    static final class BodyFilters implements ProxyPlugin<Void> {
        @Override
        public Outcome requestBodyFilter(Session session, Void ctx, BodyChunk chunk) {
            return Outcome.proceed();
        }

        @Override
        public Outcome responseBodyFilter(Session session, Void ctx, BodyChunk chunk) {
            return Outcome.proceed();
        }
    }

    static final class ErrorPages implements ProxyPlugin<Void> {
        @Override
        public Response failToProxy(Session session, Void ctx, ProxyError error) {
            return null;
        }
    }

    /** Methods with phase names whose signatures are not the phases': not overrides. */
    static final class LookAlikes implements ProxyPlugin<Void> {
        public Outcome responseBodyFilter(Session session, Object ctx, String notAChunk) {
            return Outcome.proceed();
        }

        public Response failToProxy(Session session, Void ctx, Throwable notAnError) {
            return null;
        }

        public void logging(String notASession, Object ctx) {
        }

        public Outcome requestFilter(Session session) {
            return Outcome.proceed();
        }
    }

    // --- the table -----------------------------------------------------------------------------

    static Stream<Arguments> plugins() {
        return Stream.of(
                Arguments.of(new LifecycleOnly(), EnumSet.noneOf(Phase.class)),
                Arguments.of(new TypedContext(), EnumSet.of(Phase.NEW_CONTEXT, Phase.REQUEST_FILTER)),
                Arguments.of(new Balancer(),
                        EnumSet.of(Phase.UPSTREAM_PEER, Phase.FAIL_TO_CONNECT, Phase.ERROR_WHILE_PROXYING)),
                Arguments.of(new WeightedBalancer(), EnumSet.of(Phase.UPSTREAM_PEER, Phase.FAIL_TO_CONNECT,
                        Phase.ERROR_WHILE_PROXYING, Phase.CONNECTED_TO_UPSTREAM)),
                Arguments.of(new HeaderPlugin(), EnumSet.of(Phase.RESPONSE_FILTER)),
                Arguments.of(new DeepMixin(), EnumSet.of(Phase.RESPONSE_FILTER, Phase.LOGGING)),
                Arguments.of(new InheritsMixin(), EnumSet.of(Phase.RESPONSE_FILTER, Phase.UPSTREAM_REQUEST_FILTER)),
                Arguments.of(new BodyFilters(), EnumSet.of(Phase.REQUEST_BODY_FILTER, Phase.RESPONSE_BODY_FILTER)),
                Arguments.of(new ErrorPages(), EnumSet.of(Phase.FAIL_TO_PROXY)),
                Arguments.of(new LookAlikes(), EnumSet.noneOf(Phase.class)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plugins")
    void aPluginIsListedForExactlyThePhasesItOverrides(ProxyPlugin<?> plugin, Set<Phase> expected) {
        Chain chain = new Chain(List.of(ChainLink.of("p", "test", plugin)));

        Set<Phase> listed = EnumSet.noneOf(Phase.class);
        for (Phase phase : Phase.values()) {
            int[] positions = chain.positions(phase);
            if (positions.length > 0) {
                assertArrayEquals(new int[] {0}, positions, phase.label());
                listed.add(phase);
            }
        }
        assertEquals(expected, listed, plugin.getClass().getSimpleName());
    }

    @Test
    void positionsAreInChainOrderAndSkipThePluginsThatDoNotImplementThePhase() {
        List<ChainLink> links = new ArrayList<>();
        links.add(ChainLink.of("header", "1", new HeaderPlugin()));
        links.add(ChainLink.of("lb", "1", new WeightedBalancer()));
        links.add(ChainLink.of("quiet", "1", new LifecycleOnly()));
        links.add(ChainLink.of("mixin", "1", new InheritsMixin()));
        links.add(ChainLink.of("body", "1", new BodyFilters()));
        links.add(ChainLink.of("typed", "1", new TypedContext()));
        Chain chain = new Chain(links);

        assertArrayEquals(new int[] {0, 3}, chain.positions(Phase.RESPONSE_FILTER));
        assertArrayEquals(new int[] {1}, chain.positions(Phase.UPSTREAM_PEER));
        assertArrayEquals(new int[] {1}, chain.positions(Phase.CONNECTED_TO_UPSTREAM));
        assertArrayEquals(new int[] {3}, chain.positions(Phase.UPSTREAM_REQUEST_FILTER));
        assertArrayEquals(new int[] {4}, chain.positions(Phase.REQUEST_BODY_FILTER));
        assertArrayEquals(new int[] {4}, chain.positions(Phase.RESPONSE_BODY_FILTER));
        assertArrayEquals(new int[] {5}, chain.positions(Phase.REQUEST_FILTER));
        assertArrayEquals(new int[] {}, chain.positions(Phase.FAIL_TO_PROXY));
        assertArrayEquals(new int[] {}, chain.positions(Phase.LOGGING));
        assertTrue(chain.needsContexts());
    }

    @Test
    void aChainWithoutNewContextNeedsNoContexts() {
        Chain chain = new Chain(List.of(ChainLink.of("lb", "1", new Balancer()), ChainLink.of("h", "1", new HeaderPlugin())));

        assertFalse(chain.needsContexts());
        assertEquals(0, Chain.empty().positions(Phase.REQUEST_FILTER).length);
    }

    @Test
    void anAnonymousPluginIsDetectedToo() {
        ProxyPlugin<Void> anonymous = new ProxyPlugin<>() {
            @Override
            public void logging(Session session, Void ctx) {
            }
        };
        Chain chain = new Chain(List.of(ChainLink.of("anon", "1", anonymous)));

        assertArrayEquals(new int[] {0}, chain.positions(Phase.LOGGING));
        assertArrayEquals(new int[] {}, chain.positions(Phase.REQUEST_FILTER));
    }
}
