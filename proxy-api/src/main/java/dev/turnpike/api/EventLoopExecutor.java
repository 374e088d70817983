package dev.turnpike.api;

import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The event loop a request runs on, as far as a plugin may use it: to run a short task on it or to
 * schedule one later, for instance to time out an asynchronous call or to complete a stage after a
 * delay without a thread of its own. Tasks run on the loop, so they follow the same rule as phases:
 * never block.
 */
public interface EventLoopExecutor extends Executor {

    /** Runs {@code task} on this loop soon (after the current task). */
    @Override
    void execute(Runnable task);

    /** Runs {@code task} on this loop after {@code delay}; cancel it through the future. */
    ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit);

    /** Whether the calling thread is this loop. */
    boolean inEventLoop();
}
