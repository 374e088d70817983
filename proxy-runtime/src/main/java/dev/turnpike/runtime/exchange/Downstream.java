package dev.turnpike.runtime.exchange;

import io.netty.channel.Channel;

/**
 * The client connection a request arrived on, as the request needs it. Implemented by the
 * connection's handler; a fake of it lets the engine be tested on an embedded channel.
 */
public interface Downstream {

    Channel channel();

    /** The connection's TLS, settled by its handshake before the first request; {@code null} for cleartext. */
    default dev.turnpike.api.TlsInfo tls() {
        return null;
    }

    /** What the connection's event loop owns: the upstream pool, the request ids. */
    LoopResources loop();

    /** What every connection of the server shares: settings, chain, metrics, logs. */
    ProxyContext proxy();

    /** Whether a read batch from the client is being handled (writes upstream are flushed at its end). */
    boolean inRead();

    /** The request asks to stop (or resume) reading from the client: backpressure. */
    void pauseReading(boolean pause);

    /**
     * Makes sure the request's {@link ClientRequest#checkDeadlines} runs by {@code deadline}
     * ({@link System#nanoTime()} clock). One timer per connection serves every wait of every
     * request on it; it is moved only when a wait needs an earlier look than the one due.
     */
    void due(long deadline);

    /**
     * {@code request}'s backend switched protocols (101) and the client has its answer: this
     * connection leaves HTTP and becomes one end of a tunnel to {@code upstream}, whose response
     * decoder still holds what followed the 101. {@code ended} is told when both ends are closed.
     */
    default void openTunnel(ClientRequest request, Channel upstream, io.netty.channel.ChannelHandler upstreamDecoder,
                            String kind, dev.turnpike.runtime.tunnel.Tunnel.Listener ended) {
        throw new UnsupportedOperationException("this connection cannot carry a tunnel");
    }

    /** The request is over; {@code keepOpen} when the connection can carry the next one. */
    void finished(ClientRequest request, boolean keepOpen);
}
