package dev.turnpike.runtime.exchange;

import dev.turnpike.api.EventLoopExecutor;
import io.netty.channel.EventLoop;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The part of a Netty event loop a plugin may use. A wrapper rather than the loop itself, so a
 * plugin cannot shut the loop down or reach Netty's API.
 */
public final class LoopExecutor implements EventLoopExecutor {

    private final EventLoop loop;

    public LoopExecutor(EventLoop loop) {
        this.loop = loop;
    }

    @Override
    public void execute(Runnable task) {
        loop.execute(task);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        return loop.schedule(task, delay, unit);
    }

    @Override
    public boolean inEventLoop() {
        return loop.inEventLoop();
    }
}
