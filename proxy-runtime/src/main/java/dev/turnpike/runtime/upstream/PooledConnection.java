package dev.turnpike.runtime.upstream;

import dev.turnpike.api.Peer;
import dev.turnpike.runtime.wire.ResponseDecoder;
import io.netty.channel.Channel;
import io.netty.handler.timeout.IdleStateHandler;

/**
 * One upstream connection: its channel, the peer it goes to, and whether it is idle in its pool.
 * Confined to its event loop.
 */
public final class PooledConnection {

    private final Channel channel;
    private final Peer peer;
    private final UpstreamPool pool;
    private final ResponseDecoder decoder;
    private UpstreamHandler handler;
    private final IdleStateHandler idleness;
    private boolean idle;
    private boolean leased;
    private long exchanges;

    /** @param idleness the reader-idle timer of {@code upstream.idle_timeout}, restarted when the connection goes idle */
    PooledConnection(Channel channel, Peer peer, UpstreamPool pool, ResponseDecoder decoder, IdleStateHandler idleness) {
        this.idleness = idleness;
        this.channel = channel;
        this.peer = peer;
        this.pool = pool;
        this.decoder = decoder;
    }

    /** The response decoder, to be told before each request whether it is a HEAD. */
    public ResponseDecoder decoder() {
        return decoder;
    }

    void handler(UpstreamHandler handler) {
        this.handler = handler;
    }

    public Channel channel() {
        return channel;
    }

    public Peer peer() {
        return peer;
    }

    /** The TLS version the connection speaks (as {@code TLSv1.3}), or null for cleartext. */
    public String tlsProtocol() {
        io.netty.handler.ssl.SslHandler ssl = channel.pipeline().get(io.netty.handler.ssl.SslHandler.class);
        return ssl == null ? null : ssl.engine().getSession().getProtocol();
    }

    /** How many exchanges this connection carried before the current one (0 for a fresh one). */
    public long reuseCount() {
        return exchanges;
    }

    /** Routes what the backend sends to {@code listener} until {@link #release} or {@link #discard}. */
    public void attach(UpstreamListener listener) {
        idle = false;
        if (!leased) {
            leased = true;
            pool.leased(1);
        }
        handler.attach(listener);
    }

    /**
     * Gives the connection back after a clean exchange (request fully sent, response fully read, the
     * backend keeps it open). The pool may keep it or close it.
     */
    public void release() {
        handler.detach();
        endLease();
        exchanges++;
        // An exchange may have paused reading for backpressure; an idle connection must read to see a close.
        channel.config().setAutoRead(true);
        pool.offer(this);
    }

    /**
     * The connection leaves HTTP (the backend switched protocols): its HTTP handlers go, and it is
     * never pooled again. The response decoder stays, holding the new protocol's first bytes, for
     * the tunnel to take out last.
     */
    public void handOver() {
        handler.detach();
        endLease();
        idle = false;
        channel.pipeline().remove(handler);
        channel.pipeline().remove(idleness);
    }

    /** Closes the connection: its exchange did not end cleanly, so it cannot carry another. */
    public void discard() {
        handler.detach();
        endLease();
        channel.close();
    }

    private void endLease() {
        if (leased) {
            leased = false;
            pool.leased(-1);
        }
    }

    boolean idle() {
        return idle;
    }

    void idle(boolean idle) {
        this.idle = idle;
        if (idle) {
            // The idle timeout counts from now: the timer watches reads only (a write-watching one
            // costs a promise and a listener per write), and in the pool nothing is read.
            idleness.resetReadTimeout();
        }
    }

    void closed() {
        endLease();
        if (idle) {
            idle = false;
            pool.remove(this);
        }
    }
}
