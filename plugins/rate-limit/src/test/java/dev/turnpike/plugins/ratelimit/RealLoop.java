package dev.turnpike.plugins.ratelimit;

import dev.turnpike.api.EventLoopExecutor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An event loop on a real thread with real time, for the tests whose Redis answers in real time:
 * one thread, tasks in order, timers on the wall clock (as the runtime's loops). {@link #close}
 * ends its thread.
 */
final class RealLoop implements EventLoopExecutor, AutoCloseable {

    private volatile Thread thread;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "test-event-loop");
        t.setDaemon(true);
        thread = t;
        return t;
    });

    @Override
    public void execute(Runnable task) {
        executor.execute(task);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        return executor.schedule(task, delay, unit);
    }

    @Override
    public boolean inEventLoop() {
        return Thread.currentThread() == thread;
    }

    @Override
    public void close() throws InterruptedException {
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
    }
}
