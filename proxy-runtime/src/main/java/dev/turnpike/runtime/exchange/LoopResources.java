package dev.turnpike.runtime.exchange;

import dev.turnpike.api.EventLoopExecutor;
import dev.turnpike.runtime.upstream.Connections;
import dev.turnpike.runtime.upstream.UpstreamPool;
import io.netty.channel.EventLoop;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What one event loop owns for all its connections: the upstream pool, the executor view plugins
 * get, and a request-id sequence. Confined to the loop, so none of it needs a lock.
 */
public final class LoopResources {

    private final UpstreamPool pool;
    private final Connections connections;
    private final EventLoopExecutor executor;
    private final String idPrefix;
    private long nextId;

    public LoopResources(EventLoop loop, UpstreamPool pool, int loopIndex) {
        this(loop, pool, pool, loopIndex);
    }

    /** With {@code connections} in place of the pool's (a test's embedded channels); {@code pool} may then be null. */
    LoopResources(EventLoop loop, UpstreamPool pool, Connections connections, int loopIndex) {
        this.pool = pool;
        this.connections = connections;
        this.executor = new LoopExecutor(loop);
        // A random per-process part keeps ids unique across restarts; the loop index across loops.
        this.idPrefix = String.format("%08x-%02x-", ThreadLocalRandom.current().nextInt(), loopIndex);
    }

    public UpstreamPool pool() {
        return pool;
    }

    /** Where this loop's requests get their upstream connections. */
    Connections connections() {
        return connections;
    }

    public EventLoopExecutor executor() {
        return executor;
    }

    public String nextRequestId() {
        return idPrefix + Long.toHexString(++nextId);
    }
}
