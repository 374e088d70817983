package dev.turnpike.runtime.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.spy;
import static org.mockito.Mockito.verify;

import dev.turnpike.api.BodyChunk;
import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.Chain.Phase;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pins down {@link PhaseLoop}, the resumable loop that runs one phase over the chain: chain order,
 * only the plugins that implement the phase, what each outcome does (and which ones a phase
 * refuses), failures (throw, null, failed stage), parking on {@link Outcome#later} and resuming on
 * the request's event loop at the next plugin, the phase timeout and the late completions it makes
 * harmless, a request that is over, and the body phases handing every plugin the same chunk.
 *
 * <p>Runs on a real {@link DefaultEventLoop}: the loop is confined to it, like in the proxy. Waits
 * are bounded only to keep a broken build from hanging.
 */
class PhaseLoopTest {

    private static final long TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final Outcome PROCEED = Outcome.proceed();
    private static final Outcome FORBIDDEN_RESPONSE = Outcome.respond(Response.status(403).body("no").build());

    private DefaultEventLoop loop;
    private final Session session = mock(Session.class);
    private final RecordingOwner owner = new RecordingOwner();
    private final List<Long> deadlines = new CopyOnWriteArrayList<>();
    /** "plugin phase" for each call, in order. */
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<Thread> callThreads = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startLoop() {
        loop = new DefaultEventLoop();
    }

    @AfterEach
    void stopLoop() {
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    // --- fakes ---------------------------------------------------------------------------------

    /** What a scripted plugin does when called: may throw, may edit the chunk. */
    @FunctionalInterface
    interface Script {
        Outcome answer(Phase phase, BodyChunk chunk) throws Exception;
    }

    /** A plugin that implements every phase the loop runs, records each call and answers as scripted. */
    final class Scripted implements ProxyPlugin<Object> {
        private final String id;
        private final Script script;
        final List<Object> contexts = new CopyOnWriteArrayList<>();

        Scripted(String id, Script script) {
            this.id = id;
            this.script = script;
        }

        private Outcome call(Phase phase, Session s, Object ctx, BodyChunk chunk) {
            assertSame(session, s);
            calls.add(id + " " + phase.label());
            callThreads.add(Thread.currentThread());
            contexts.add(ctx);
            try {
                return script.answer(phase, chunk);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public Outcome requestFilter(Session s, Object ctx) {
            return call(Phase.REQUEST_FILTER, s, ctx, null);
        }

        @Override
        public Outcome upstreamPeer(Session s, Object ctx) {
            return call(Phase.UPSTREAM_PEER, s, ctx, null);
        }

        @Override
        public Outcome upstreamRequestFilter(Session s, Object ctx) {
            return call(Phase.UPSTREAM_REQUEST_FILTER, s, ctx, null);
        }

        @Override
        public Outcome requestBodyFilter(Session s, Object ctx, BodyChunk chunk) {
            return call(Phase.REQUEST_BODY_FILTER, s, ctx, chunk);
        }

        @Override
        public Outcome responseFilter(Session s, Object ctx) {
            return call(Phase.RESPONSE_FILTER, s, ctx, null);
        }

        @Override
        public Outcome responseBodyFilter(Session s, Object ctx, BodyChunk chunk) {
            return call(Phase.RESPONSE_BODY_FILTER, s, ctx, chunk);
        }
    }

    /** Implements response_filter only; every other phase is ProxyPlugin's default. */
    static class OnlyResponse implements ProxyPlugin<Object> {
        @Override
        public Outcome responseFilter(Session s, Object ctx) {
            return Outcome.proceed();
        }
    }

    /** The owner, recording what the loop reported. */
    static final class RecordingOwner implements PhaseLoop.Owner {
        final BlockingQueue<String> reports = new LinkedBlockingQueue<>();
        final List<Outcome> decisions = new CopyOnWriteArrayList<>();
        final List<ProxyError> errors = new CopyOnWriteArrayList<>();
        volatile boolean over;

        @Override
        public void phaseDone(Phase phase, Outcome decision, ChainLink by) {
            decisions.add(decision == null ? PROCEED : decision);
            reports.add("done " + phase.label() + " " + (decision == null ? "-" : decision.kind())
                    + " by " + (by == null ? "-" : by.pluginId()));
        }

        @Override
        public void phaseFailed(Phase phase, ProxyError error) {
            errors.add(error);
            reports.add("failed " + phase.label() + " by " + error.pluginId());
        }

        @Override
        public boolean over() {
            return over;
        }

        /** The next report; fails rather than hangs when none comes. */
        String next() throws InterruptedException {
            String r = reports.poll(30, TimeUnit.SECONDS);
            assertNotNull(r, "the owner heard nothing");
            return r;
        }

        ProxyError lastError() {
            return errors.get(errors.size() - 1);
        }
    }

    private PhaseLoop phaseLoop(ProxyPlugin<?>... plugins) {
        List<ChainLink> links = new ArrayList<>();
        Object[] contexts = new Object[plugins.length];
        for (int i = 0; i < plugins.length; i++) {
            String id = plugins[i] instanceof Scripted s ? s.id : "p" + i;
            links.add(ChainLink.of(id, "test", plugins[i]));
            contexts[i] = "ctx-" + id;
        }
        return new PhaseLoop(new Chain(links), contexts, session, loop, owner, new ProxyMetrics(), TIMEOUT_NANOS,
                deadlines::add);
    }

    private Scripted plugin(String id, Script script) {
        return new Scripted(id, script);
    }

    private Scripted proceeding(String id) {
        return new Scripted(id, (p, c) -> PROCEED);
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(30, TimeUnit.SECONDS);
    }

    private void onLoop(Runnable task) throws Exception {
        loop.submit(task).get(30, TimeUnit.SECONDS);
    }

    /** Lets every task queued on the loop so far run. */
    private void drainLoop() throws Exception {
        onLoop(() -> { });
    }

    private static BodyPart part(String text, boolean last) {
        return new BodyPart(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8), last, null);
    }

    private void run(PhaseLoop pl, Phase phase) throws Exception {
        if (phase == Phase.REQUEST_BODY_FILTER || phase == Phase.RESPONSE_BODY_FILTER) {
            BodyPart chunk = part("x", false);
            try {
                onLoop(() -> pl.run(phase, chunk));
            } finally {
                chunk.release();
            }
        } else {
            onLoop(() -> pl.run(phase));
        }
    }

    // --- order and outcomes --------------------------------------------------------------------

    @Test
    void pluginsAreCalledInChainOrderAndOnlyThoseThatImplementThePhase() throws Exception {
        OnlyResponse other = spy(new OnlyResponse());
        PhaseLoop pl = phaseLoop(proceeding("a"), other, proceeding("b"));

        run(pl, Phase.REQUEST_FILTER);

        assertEquals("done request_filter - by -", owner.next());
        assertEquals(List.of("a request_filter", "b request_filter"), calls);
        verify(other, never()).requestFilter(any(), any());

        run(pl, Phase.RESPONSE_FILTER);
        assertEquals("done response_filter - by -", owner.next());
        verify(other).responseFilter(session, "ctx-p1");
        assertEquals(List.of("a request_filter", "b request_filter", "a response_filter", "b response_filter"), calls);
    }

    @Test
    void eachPluginGetsItsOwnContext() throws Exception {
        Scripted a = proceeding("a");
        Scripted b = proceeding("b");
        PhaseLoop pl = phaseLoop(a, b);

        run(pl, Phase.UPSTREAM_REQUEST_FILTER);

        owner.next();
        assertEquals(List.of("ctx-a"), a.contexts);
        assertEquals(List.of("ctx-b"), b.contexts);
    }

    @Test
    void respondEndsThePhaseAtThatPlugin() throws Exception {
        Outcome respond = Outcome.respond(Response.status(403).body("go away").build());
        PhaseLoop pl = phaseLoop(proceeding("a"), plugin("b", (p, c) -> respond), proceeding("c"));

        run(pl, Phase.REQUEST_FILTER);

        assertEquals("done request_filter RESPOND by b", owner.next());
        assertSame(respond, owner.decisions.get(0));
        assertEquals(List.of("a request_filter", "b request_filter"), calls);
    }

    @Test
    void upstreamEndsUpstreamPeerAtThatPlugin() throws Exception {
        Outcome upstream = Outcome.upstream(Peer.of("10.0.0.7", 8080));
        PhaseLoop pl = phaseLoop(proceeding("a"), plugin("lb", (p, c) -> upstream), proceeding("c"));

        run(pl, Phase.UPSTREAM_PEER);

        assertEquals("done upstream_peer UPSTREAM by lb", owner.next());
        assertSame(upstream, owner.decisions.get(0));
        assertEquals(List.of("a upstream_peer", "lb upstream_peer"), calls);
    }

    @ParameterizedTest
    @EnumSource(value = Phase.class, names = {"REQUEST_FILTER", "UPSTREAM_REQUEST_FILTER", "REQUEST_BODY_FILTER"})
    void respondIsAllowedInTheRequestPhases(Phase phase) throws Exception {
        PhaseLoop pl = phaseLoop(plugin("waf", (p, c) -> FORBIDDEN_RESPONSE), proceeding("c"));

        run(pl, phase);

        assertEquals("done " + phase.label() + " RESPOND by waf", owner.next());
    }

    static Stream<Arguments> forbidden() {
        Outcome upstream = Outcome.upstream(Peer.of("10.0.0.7", 8080));
        Outcome reject = Outcome.reject("a connection phase's answer");
        return Stream.of(
                Arguments.of(Phase.REQUEST_FILTER, reject),
                Arguments.of(Phase.UPSTREAM_PEER, reject),
                Arguments.of(Phase.RESPONSE_FILTER, reject),
                Arguments.of(Phase.REQUEST_FILTER, upstream),
                Arguments.of(Phase.UPSTREAM_REQUEST_FILTER, upstream),
                Arguments.of(Phase.REQUEST_BODY_FILTER, upstream),
                Arguments.of(Phase.RESPONSE_FILTER, upstream),
                Arguments.of(Phase.RESPONSE_BODY_FILTER, upstream),
                Arguments.of(Phase.RESPONSE_FILTER, FORBIDDEN_RESPONSE),
                Arguments.of(Phase.RESPONSE_BODY_FILTER, FORBIDDEN_RESPONSE));
    }

    @ParameterizedTest(name = "{1} in {0}")
    @MethodSource("forbidden")
    void anOutcomeThePhaseDoesNotAllowFailsIt(Phase phase, Outcome outcome) throws Exception {
        PhaseLoop pl = phaseLoop(proceeding("a"), plugin("bad", (p, c) -> outcome), proceeding("c"));

        run(pl, phase);

        assertEquals("failed " + phase.label() + " by bad", owner.next());
        ProxyError e = owner.lastError();
        assertEquals(ErrorKind.PLUGIN, e.kind());
        assertEquals("bad", e.pluginId());
        assertEquals(phase.label(), e.phase());
        assertEquals("plugin bad returned " + outcome + ", which " + phase.label() + " does not allow", e.message());
        assertEquals(List.of("a " + phase.label(), "bad " + phase.label()), calls, "no later plugin runs");
    }

    @Test
    void aThrowingPluginFailsThePhase() throws Exception {
        IllegalStateException boom = new IllegalStateException("boom");
        PhaseLoop pl = phaseLoop(plugin("a", (p, c) -> { throw boom; }), proceeding("b"));

        run(pl, Phase.REQUEST_FILTER);

        assertEquals("failed request_filter by a", owner.next());
        ProxyError e = owner.lastError();
        assertEquals(ErrorKind.PLUGIN, e.kind());
        assertEquals("request_filter", e.phase());
        assertSame(boom, e.cause());
        assertEquals("plugin a failed in request_filter: java.lang.IllegalStateException: boom", e.message());
        assertEquals(List.of("a request_filter"), calls);
    }

    @Test
    void aNullOutcomeFailsThePhase() throws Exception {
        PhaseLoop pl = phaseLoop(proceeding("a"), plugin("b", (p, c) -> null), proceeding("c"));

        run(pl, Phase.UPSTREAM_PEER);

        assertEquals("failed upstream_peer by b", owner.next());
        assertEquals("plugin b returned null instead of an Outcome", owner.lastError().message());
        assertEquals(List.of("a upstream_peer", "b upstream_peer"), calls);
    }

    // --- later ---------------------------------------------------------------------------------

    @Test
    void laterParksAndTheStagesCompletionResumesOnTheLoopAtTheNextPlugin() throws Exception {
        CompletableFuture<Outcome> stage = new CompletableFuture<>();
        PhaseLoop pl = phaseLoop(plugin("slow", (p, c) -> Outcome.later(stage)), proceeding("b"));

        long before = System.nanoTime();
        run(pl, Phase.REQUEST_FILTER);

        assertTrue(onLoop(pl::parked));
        assertEquals(1, deadlines.size(), "due is told the park's deadline");
        assertTrue(deadlines.get(0) - before >= TIMEOUT_NANOS, "the deadline is a phase timeout after the park");
        assertTrue(owner.reports.isEmpty());
        assertEquals(List.of("slow request_filter"), calls);

        Thread completer = new Thread(() -> stage.complete(PROCEED), "completer");
        completer.start();
        completer.join();

        assertEquals("done request_filter - by -", owner.next());
        assertEquals(List.of("slow request_filter", "b request_filter"), calls);
        assertTrue(loop.inEventLoop(callThreads.get(1)), "b runs on the request's loop, not the completer's thread");
        assertFalse(onLoop(pl::parked));
    }

    @Test
    void aStagesDecisionIsTheDecisionOfItsPlugin() throws Exception {
        CompletableFuture<Outcome> stage = new CompletableFuture<>();
        Outcome upstream = Outcome.upstream(Peer.of("backend", 80));
        PhaseLoop pl = phaseLoop(plugin("lb", (p, c) -> Outcome.later(stage)), proceeding("b"));

        run(pl, Phase.UPSTREAM_PEER);
        stage.complete(upstream);

        assertEquals("done upstream_peer UPSTREAM by lb", owner.next());
        assertSame(upstream, owner.decisions.get(0));
        assertEquals(List.of("lb upstream_peer"), calls);
    }

    @Test
    void aStageCompletedAlreadyGoesStraightOn() throws Exception {
        PhaseLoop pl = phaseLoop(plugin("a", (p, c) -> Outcome.later(CompletableFuture.completedFuture(PROCEED))),
                proceeding("b"));

        run(pl, Phase.REQUEST_FILTER);

        assertEquals("done request_filter - by -", owner.next());
        assertEquals(List.of("a request_filter", "b request_filter"), calls);
        assertFalse(onLoop(pl::parked));
        drainLoop();
        assertTrue(owner.reports.isEmpty(), "reported once");
    }

    @Test
    void aStageCompletedExceptionallyFailsThePhase() throws Exception {
        CompletableFuture<Outcome> stage = new CompletableFuture<>();
        PhaseLoop pl = phaseLoop(plugin("a", (p, c) -> Outcome.later(stage)), proceeding("b"));
        IOException cause = new IOException("lookup failed");

        run(pl, Phase.REQUEST_FILTER);
        stage.completeExceptionally(new CompletionException(cause));

        assertEquals("failed request_filter by a", owner.next());
        ProxyError e = owner.lastError();
        assertSame(cause, e.cause(), "the CompletionException is unwrapped");
        assertEquals("plugin a failed in request_filter: java.io.IOException: lookup failed", e.message());
        assertEquals(List.of("a request_filter"), calls);
    }

    @Test
    void aStageCompletedWithNullOrAnotherLaterFailsThePhase() throws Exception {
        CompletableFuture<Outcome> nullStage = new CompletableFuture<>();
        CompletableFuture<Outcome> laterStage = new CompletableFuture<>();
        PhaseLoop first = phaseLoop(plugin("a", (p, c) -> Outcome.later(nullStage)), proceeding("b"));
        PhaseLoop second = phaseLoop(plugin("c", (p, c) -> Outcome.later(laterStage)), proceeding("d"));

        run(first, Phase.RESPONSE_FILTER);
        nullStage.complete(null);
        assertEquals("failed response_filter by a", owner.next());
        assertEquals("plugin a returned null instead of an Outcome", owner.lastError().message());

        run(second, Phase.RESPONSE_FILTER);
        laterStage.complete(Outcome.later(new CompletableFuture<>()));
        assertEquals("failed response_filter by c", owner.next());
        assertEquals("plugin c completed its stage with another later outcome", owner.lastError().message());
        assertEquals(List.of("a response_filter", "c response_filter"), calls);
    }

    // --- the phase timeout ---------------------------------------------------------------------

    @Test
    void checkBeforeTheDeadlineReturnsItAndAfterItFailsThePhase() throws Exception {
        CompletableFuture<Outcome> stage = new CompletableFuture<>();
        PhaseLoop pl = phaseLoop(plugin("auth", (p, c) -> Outcome.later(stage)), proceeding("b"));

        assertEquals(0, (long) onLoop(() -> pl.check(System.nanoTime())), "nothing parked");
        run(pl, Phase.UPSTREAM_REQUEST_FILTER);
        long deadline = deadlines.get(0);

        assertEquals(deadline, (long) onLoop(() -> pl.check(deadline - 1)));
        assertTrue(onLoop(pl::parked));
        assertTrue(owner.reports.isEmpty());

        assertEquals(0, (long) onLoop(() -> pl.check(deadline)));
        assertEquals("failed upstream_request_filter by auth", owner.next());
        ProxyError e = owner.lastError();
        assertEquals(ErrorKind.PLUGIN, e.kind());
        assertEquals("upstream_request_filter", e.phase());
        assertEquals("plugin auth did not complete its upstream_request_filter stage within 250 ms"
                + " (plugins.phase_timeout)", e.message());
        assertFalse(onLoop(pl::parked));
        assertEquals(0, (long) onLoop(() -> pl.check(deadline + TIMEOUT_NANOS)), "nothing parked any more");
    }

    @Test
    void aStageThatCompletesAfterItsTimeoutIsIgnored() throws Exception {
        CompletableFuture<Outcome> stage = new CompletableFuture<>();
        PhaseLoop pl = phaseLoop(plugin("auth", (p, c) -> Outcome.later(stage)), proceeding("b"));
        run(pl, Phase.REQUEST_FILTER);
        long deadline = deadlines.get(0);
        onLoop(() -> pl.check(deadline + 1));
        assertEquals("failed request_filter by auth", owner.next());

        stage.complete(PROCEED); // queues the resumption on the loop
        drainLoop();

        assertTrue(owner.reports.isEmpty(), "the owner hears nothing more: " + owner.reports);
        assertEquals(List.of("auth request_filter"), calls);
    }

    @Test
    void aTimedOutStagesLateCompletionDoesNotResumeALaterPark() throws Exception {
        CompletableFuture<Outcome> first = new CompletableFuture<>();
        CompletableFuture<Outcome> second = new CompletableFuture<>();
        List<CompletableFuture<Outcome>> stages = new CopyOnWriteArrayList<>(List.of(first, second));
        PhaseLoop pl = phaseLoop(plugin("a", (p, c) -> Outcome.later(stages.remove(0))), proceeding("b"));

        run(pl, Phase.REQUEST_FILTER);
        onLoop(() -> pl.check(deadlines.get(0)));
        assertEquals("failed request_filter by a", owner.next());
        run(pl, Phase.RESPONSE_FILTER); // the same loop parks again, on the second stage
        first.complete(PROCEED);
        drainLoop();

        assertTrue(owner.reports.isEmpty(), "the first stage's completion is not the second's");
        assertTrue(onLoop(pl::parked));
        second.complete(PROCEED);
        assertEquals("done response_filter - by -", owner.next());
        assertEquals(List.of("a request_filter", "a response_filter", "b response_filter"), calls);
    }

    @Test
    void aStageThatCompletesWhenTheRequestIsOverIsIgnored() throws Exception {
        CompletableFuture<Outcome> stage = new CompletableFuture<>();
        PhaseLoop pl = phaseLoop(plugin("a", (p, c) -> Outcome.later(stage)), proceeding("b"));
        run(pl, Phase.REQUEST_FILTER);

        owner.over = true;
        stage.complete(PROCEED);
        drainLoop();

        assertTrue(owner.reports.isEmpty());
        assertEquals(List.of("a request_filter"), calls, "no later plugin is called for a request that is over");
        assertFalse(onLoop(pl::parked));
    }

    @Test
    void aStageStillPendingWhenTheRequestWasAnsweredDoesNotTimeOutIt() throws Exception {
        CompletableFuture<Outcome> stage = new CompletableFuture<>();
        PhaseLoop pl = phaseLoop(plugin("a", (p, c) -> Outcome.later(stage)), proceeding("b"));
        run(pl, Phase.RESPONSE_FILTER);
        long deadline = deadlines.get(0);

        owner.over = true; // a 502 went out meanwhile: the stage no longer matters
        assertEquals(0, (long) onLoop(() -> pl.check(deadline + 1)));

        assertTrue(owner.reports.isEmpty(), "no plugin failure for a request already answered: " + owner.reports);
        assertFalse(onLoop(pl::parked));
    }

    // --- body phases ---------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = Phase.class, names = {"REQUEST_BODY_FILTER", "RESPONSE_BODY_FILTER"})
    void everyPluginOfABodyPhaseSeesTheSameChunkAsTheOneBeforeLeftIt(Phase phase) throws Exception {
        List<BodyChunk> seen = new CopyOnWriteArrayList<>();
        List<String> texts = new CopyOnWriteArrayList<>();
        Scripted upper = plugin("upper", (p, c) -> {
            seen.add(c);
            c.replace(c.text(StandardCharsets.UTF_8).toUpperCase(), StandardCharsets.UTF_8);
            return PROCEED;
        });
        Scripted reader = plugin("reader", (p, c) -> {
            seen.add(c);
            texts.add(c.text(StandardCharsets.UTF_8));
            return PROCEED;
        });
        PhaseLoop pl = phaseLoop(upper, reader);
        BodyPart chunk = part("hello", true);
        try {
            onLoop(() -> pl.run(phase, chunk));

            assertEquals("done " + phase.label() + " - by -", owner.next());
            assertEquals(2, seen.size());
            assertSame(chunk, seen.get(0));
            assertSame(chunk, seen.get(1));
            assertEquals(List.of("HELLO"), texts);
            assertEquals("HELLO", chunk.text(StandardCharsets.UTF_8));
        } finally {
            chunk.release();
        }
    }

    @Test
    void aBodyPhaseThatParksResumesWithTheSameChunk() throws Exception {
        CompletableFuture<Outcome> stage = new CompletableFuture<>();
        List<BodyChunk> parkedWith = new CopyOnWriteArrayList<>();
        List<String> texts = new CopyOnWriteArrayList<>();
        PhaseLoop pl = phaseLoop(
                plugin("scanner", (p, c) -> {
                    parkedWith.add(c);
                    return Outcome.later(stage);
                }),
                plugin("reader", (p, c) -> {
                    texts.add(c.text(StandardCharsets.UTF_8));
                    return PROCEED;
                }));
        BodyPart chunk = part("secret", false);
        try {
            onLoop(() -> pl.run(Phase.REQUEST_BODY_FILTER, chunk));
            assertTrue(owner.reports.isEmpty());

            // The completing thread may replace the chunk before it completes the stage.
            Thread completer = new Thread(() -> {
                parkedWith.get(0).replace("[redacted]", StandardCharsets.UTF_8);
                stage.complete(PROCEED);
            }, "scanner-callback");
            completer.start();
            completer.join();

            assertEquals("done request_body_filter - by -", owner.next());
            assertEquals(List.of("[redacted]"), texts);
        } finally {
            chunk.release();
        }
    }
}
