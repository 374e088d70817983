package dev.turnpike.testkit.phases;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class FakeEventLoopTest {

    private final FakeEventLoop loop = new FakeEventLoop();
    private final List<String> ran = new ArrayList<>();

    @Test
    void nothingRunsByItself() {
        loop.execute(() -> ran.add("a"));
        loop.schedule(() -> ran.add("b"), 1, TimeUnit.SECONDS);
        assertEquals(List.of(), ran);
        assertEquals(2, loop.pending().size());
    }

    @Test
    void runReadyRunsWhatIsDueAndWhatThatQueuesButNotLaterTasks() {
        loop.execute(() -> {
            ran.add("a");
            loop.execute(() -> ran.add("a2"));
        });
        loop.schedule(() -> ran.add("later"), 5, TimeUnit.MILLISECONDS);
        assertEquals(2, loop.runReady());
        assertEquals(List.of("a", "a2"), ran);
        assertEquals(1, loop.pending().size());
        assertEquals(0, loop.nanoTime(), "the clock did not move");
    }

    @Test
    void advanceRunsTasksInDueOrderEachAtItsTime() {
        List<Long> at = new ArrayList<>();
        loop.schedule(() -> at.add(loop.nanoTime()), 300, TimeUnit.MILLISECONDS);
        loop.schedule(() -> at.add(loop.nanoTime()), 100, TimeUnit.MILLISECONDS);
        loop.schedule(() -> at.add(-1L), 2, TimeUnit.SECONDS);
        assertEquals(0, loop.advance(Duration.ofMillis(99)));
        assertEquals(2, loop.advance(Duration.ofMillis(201)));
        assertEquals(List.of(100_000_000L, 300_000_000L), at);
        assertEquals(300_000_000L, loop.nanoTime());
        assertEquals(1700, loop.pending().get(0).getDelay(TimeUnit.MILLISECONDS));
        assertThrows(IllegalArgumentException.class, () -> loop.advance(Duration.ofMillis(-1)));
    }

    @Test
    void aTimerThatReschedulesItselfTicksOncePerInterval() {
        Runnable[] tick = new Runnable[1];
        tick[0] = () -> {
            ran.add("tick");
            loop.schedule(tick[0], 1, TimeUnit.SECONDS);
        };
        loop.schedule(tick[0], 1, TimeUnit.SECONDS);
        loop.advance(Duration.ofSeconds(3));
        assertEquals(3, ran.size());
    }

    @Test
    void runPendingFiresEachQueuedTaskOnceWhateverItsDelay() {
        loop.schedule(() -> {
            ran.add("x");
            loop.schedule(() -> ran.add("next"), 1, TimeUnit.SECONDS);
        }, 1, TimeUnit.HOURS);
        FakeEventLoop.Task t = loop.pending().get(0);
        assertEquals(Duration.ofHours(1), t.delay());
        assertEquals(1, loop.runPending());
        assertEquals(List.of("x"), ran, "not the task it queued");
        assertTrue(t.ran());
        assertEquals(0, loop.nanoTime());
        assertEquals(1000, loop.pending().get(0).getDelay(TimeUnit.MILLISECONDS));
    }

    @Test
    void aCancelledTaskNeverRuns() throws Exception {
        ScheduledFuture<?> f = loop.schedule(() -> ran.add("no"), 1, TimeUnit.SECONDS);
        assertTrue(f.cancel(false));
        assertFalse(f.cancel(false), "once");
        assertTrue(f.isCancelled());
        assertTrue(f.isDone());
        loop.advance(Duration.ofSeconds(2));
        assertEquals(List.of(), ran);
        assertEquals(List.of(), loop.pending());
        assertThrows(CancellationException.class, f::get);
        ScheduledFuture<?> done = loop.schedule(() -> ran.add("yes"), 0, TimeUnit.SECONDS);
        assertThrows(IllegalStateException.class, done::get, "waiting for a task not run would hang the test");
        loop.runReady();
        assertEquals(null, done.get());
        assertFalse(done.cancel(false), "a task that ran cannot be cancelled");
    }

    @Test
    void inEventLoopOnTheThreadThatMadeItOnly() throws Exception {
        assertTrue(loop.inEventLoop());
        AtomicBoolean elsewhere = new AtomicBoolean(true);
        Thread t = new Thread(() -> {
            elsewhere.set(loop.inEventLoop());
            loop.execute(() -> ran.add("handed back"));
        });
        t.start();
        t.join();
        assertFalse(elsewhere.get());
        loop.runReady();
        assertEquals(List.of("handed back"), ran);
    }

    @Test
    void aTaskThatThrowsIsRecordedAndTheOthersStillRun() {
        loop.execute(() -> {
            throw new IllegalStateException("boom");
        });
        loop.execute(() -> ran.add("after"));
        loop.runReady();
        assertEquals(List.of("after"), ran);
        assertEquals("boom", loop.failures().get(0).getMessage());
        loop.execute(() -> {
            throw new AssertionError("an assertion reaches the test");
        });
        assertThrows(AssertionError.class, loop::runReady);
    }

    @Test
    void refusesANegativeDelayAndARunawayLoop() {
        assertThrows(IllegalArgumentException.class, () -> loop.schedule(() -> { }, -1, TimeUnit.SECONDS));
        Runnable[] forever = new Runnable[1];
        forever[0] = () -> loop.execute(forever[0]);
        loop.execute(forever[0]);
        assertThrows(IllegalStateException.class, loop::runReady);
    }
}
