package dev.turnpike.testkit.phases;

import dev.turnpike.api.EventLoopExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A deterministic {@link EventLoopExecutor}: nothing runs on its own. Tasks wait in a queue until
 * the test runs them, on the test's thread, against a virtual clock that moves only when the test
 * says so. No thread, no sleep, so a test of timers and hand-backs is exact and fast.
 *
 * <ul>
 *   <li>{@link #runReady()} runs every task that is due now (executed ones and those whose delay
 *       has passed), including tasks they queue that are due too, in due-time order.</li>
 *   <li>{@link #advance(Duration)} moves the clock forward, running each task when its time comes
 *       (the clock reads the task's due time while it runs).</li>
 *   <li>{@link #runPending()} fires every task queued now once, due or not, as if each one's delay
 *       had passed, without moving the clock, and not the tasks they queue: one tick of every
 *       timer.</li>
 * </ul>
 *
 * <p>{@link #inEventLoop()} is true on the thread that made the loop (the test's, which the
 * {@link PhaseHarness} runs phases on) and false elsewhere, so a plugin that hands work back to the
 * loop from its own thread behaves as on the runtime's loop. {@link #execute} and {@link #schedule}
 * are thread-safe; running tasks is for the test's thread. A task that throws is counted in
 * {@link #failures()} and does not stop the others, as on a Netty loop (an {@link Error}, such as a
 * failed assertion, is thrown to the test). A {@link ScheduledFuture}
 * of a task not yet run cannot be waited on: {@code get} throws {@link IllegalStateException}, since
 * waiting would hang the test.
 */
public final class FakeEventLoop implements EventLoopExecutor {

    /** The most tasks {@link #runReady()} or {@link #advance} runs in one call: a loop that feeds itself forever is a bug. */
    public static final int MAX_TASKS_PER_RUN = 100_000;

    private final Thread owner = Thread.currentThread();
    /** Tasks neither run nor cancelled, soonest first (ties: the order they were queued in). */
    private final PriorityQueue<Task> queue = new PriorityQueue<>(
            Comparator.comparingLong((Task t) -> t.dueNanos).thenComparingLong(t -> t.order));
    private final List<Throwable> failures = new ArrayList<>();
    private long nowNanos;
    private long sequence;

    /** One queued task, and its future. */
    public final class Task implements ScheduledFuture<Object> {
        private final Runnable runnable;
        private final long delayNanos;
        private final long dueNanos;
        private final long order;
        private boolean ran;
        private boolean cancelled;

        private Task(Runnable runnable, long delayNanos, long dueNanos, long order) {
            this.runnable = runnable;
            this.delayNanos = delayNanos;
            this.dueNanos = dueNanos;
            this.order = order;
        }

        /** The delay it was scheduled with (zero for {@link #execute}). */
        public Duration delay() {
            return Duration.ofNanos(delayNanos);
        }

        /** The virtual time ({@link #nanoTime()}) at which it is due. */
        public long dueNanos() {
            return dueNanos;
        }

        /**
         * The task itself, to run by hand a task that was cancelled too late (a timer that fired
         * as it was cancelled); running it so does not mark it run.
         */
        public Runnable runnable() {
            return runnable;
        }

        /** Whether it has run. */
        public boolean ran() {
            synchronized (FakeEventLoop.this) {
                return ran;
            }
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            synchronized (FakeEventLoop.this) {
                if (ran || cancelled) {
                    return false;
                }
                cancelled = true;
                queue.remove(this);
                return true;
            }
        }

        @Override
        public boolean isCancelled() {
            synchronized (FakeEventLoop.this) {
                return cancelled;
            }
        }

        @Override
        public boolean isDone() {
            synchronized (FakeEventLoop.this) {
                return ran || cancelled;
            }
        }

        @Override
        public Object get() {
            synchronized (FakeEventLoop.this) {
                if (cancelled) {
                    throw new CancellationException();
                }
                if (!ran) {
                    throw new IllegalStateException("the task has not run: run the fake loop first (waiting would hang)");
                }
                return null;
            }
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            return get();
        }

        /** Time left until it is due by the virtual clock (negative once overdue). */
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public String toString() {
            return "task due at " + dueNanos + "ns" + (ran ? " (ran)" : cancelled ? " (cancelled)" : "");
        }
    }

    @Override
    public synchronized void execute(Runnable task) {
        enqueue(task, 0);
    }

    /** @throws IllegalArgumentException for a negative delay */
    @Override
    public synchronized ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        if (delay < 0) {
            throw new IllegalArgumentException("negative delay " + delay + " " + unit);
        }
        return enqueue(task, unit.toNanos(delay));
    }

    private Task enqueue(Runnable runnable, long delayNanos) {
        Task t = new Task(Objects.requireNonNull(runnable, "task"), delayNanos, nowNanos + delayNanos, sequence++);
        queue.add(t);
        return t;
    }

    @Override
    public boolean inEventLoop() {
        return Thread.currentThread() == owner;
    }

    /** The virtual clock, in nanoseconds; starts at 0 and moves only with {@link #advance}. */
    public synchronized long nanoTime() {
        return nowNanos;
    }

    /** Tasks neither run nor cancelled, in due-time order (ties: the order they were queued in). */
    public synchronized List<Task> pending() {
        List<Task> out = new ArrayList<>(queue);
        out.sort(queue.comparator());
        return out;
    }

    /** Runs every task due now, and those they queue that are due now too; returns how many ran. */
    public int runReady() {
        return runUntil(nanoTime());
    }

    /** Moves the clock forward by {@code d}, running each task as its time comes; returns how many ran. */
    public int advance(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("the clock does not go back: " + d);
        }
        long target;
        synchronized (this) {
            target = nowNanos + d.toNanos();
        }
        int ran = runUntil(target);
        synchronized (this) {
            nowNanos = target;
        }
        return ran;
    }

    /** Fires each task queued now once, due or not, without moving the clock; returns how many ran. */
    public int runPending() {
        List<Task> now = pending();
        for (Task t : now) {
            run(t);
        }
        return now.size();
    }

    /** Exceptions thrown by tasks that ran, oldest first. */
    public synchronized List<Throwable> failures() {
        return List.copyOf(failures);
    }

    private int runUntil(long until) {
        int ran = 0;
        while (true) {
            Task next;
            synchronized (this) {
                Task head = queue.peek();
                next = head == null || head.dueNanos > until ? null : head;
                if (next != null && next.dueNanos > nowNanos) {
                    nowNanos = next.dueNanos;
                }
            }
            if (next == null) {
                return ran;
            }
            if (++ran > MAX_TASKS_PER_RUN) {
                throw new IllegalStateException("more than " + MAX_TASKS_PER_RUN + " tasks ran in one go: a task keeps queueing another");
            }
            run(next);
        }
    }

    private void run(Task t) {
        synchronized (this) {
            if (t.ran || t.cancelled) {
                return;
            }
            t.ran = true;
            queue.remove(t);
        }
        try {
            t.runnable.run();
        } catch (RuntimeException e) {
            synchronized (this) {
                failures.add(e);
            }
        }
    }
}
