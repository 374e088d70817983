package dev.turnpike.runtime.upstream;

import dev.turnpike.api.Peer;
import io.netty.util.concurrent.Future;

/**
 * Where an attempt gets its connection: the loop's {@link UpstreamPool}, or, in a test of the
 * engine, connections made on embedded channels. Confined to one event loop.
 */
public interface Connections {

    /** An idle connection to {@code peer} that is still open, or {@code null}. */
    PooledConnection pollIdle(Peer peer);

    /**
     * Opens a new connection to {@code peer}. The future fails with the connect error
     * ({@link io.netty.channel.ConnectTimeoutException} after the peer's or the default connect
     * timeout).
     */
    Future<PooledConnection> connect(Peer peer);
}
