package dev.turnpike.runtime.http;

import dev.turnpike.runtime.config.ServerSettings;
import dev.turnpike.runtime.exchange.LoopResources;
import dev.turnpike.runtime.exchange.ProxyContext;
import dev.turnpike.runtime.tls.HandshakeObserver;
import dev.turnpike.runtime.tls.ServerTls;
import dev.turnpike.runtime.tls.SniSelector;
import dev.turnpike.runtime.wire.RequestDecoder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Builds the pipeline of each accepted client connection:
 * {@code WireBytes → HeadTimeout → IdleStateHandler → RequestDecoder → ClientConnection}. No aggregator: bodies
 * stream, and responses go out as bytes the exchange frames itself. On the TLS listener,
 * {@code SniSelector} (which becomes the connection's {@code SslHandler} once the client hello has
 * chosen a certificate) and {@code HandshakeObserver} come after {@code WireBytes}, which counts
 * what crosses the wire, TLS records and all.
 */
public final class ClientChannelInitializer extends ChannelInitializer<Channel> {

    /** Body parts are forwarded as they come; this caps one part, not the body. */
    private static final int MAX_CHUNK_BYTES = 64 * 1024;

    private final ProxyContext proxy;
    private final Map<EventLoop, LoopResources> loops;
    private final WireBytes wireBytes;
    private final ServerTls tls;
    private final HandshakeObserver handshakes;

    /** For the cleartext listener. */
    public ClientChannelInitializer(ProxyContext proxy, Map<EventLoop, LoopResources> loops) {
        this(proxy, loops, null);
    }

    /** For the TLS listener with these certificates ({@code null}: cleartext). */
    public ClientChannelInitializer(ProxyContext proxy, Map<EventLoop, LoopResources> loops, ServerTls tls) {
        this.proxy = proxy;
        this.loops = Map.copyOf(loops);
        this.wireBytes = new WireBytes(proxy.metrics());
        this.tls = tls;
        this.handshakes = tls == null ? null : new HandshakeObserver(proxy.metrics().tls());
    }

    /**
     * For shutdown: closes {@code ch} now if no request is in progress on it; otherwise it closes
     * after the current exchange (the server is closing, so it will not be kept alive). Must run on
     * the channel's event loop.
     */
    public static void closeWhenIdle(Channel ch) {
        ClientConnection c = ch.pipeline().get(ClientConnection.class);
        if (c != null) {
            c.closeIfIdle();
        } else if (ch.pipeline().get("tunnel") == null) {
            ch.close(); // a tunnel runs on through the grace period, and is closed at its end
        }
    }

    @Override
    protected void initChannel(Channel ch) {
        ServerSettings s = proxy.server();
        ClientConnection[] connection = new ClientConnection[1];
        HeadTimeout headTimeout = new HeadTimeout(s.requestHeaderTimeout().toNanos(), ctx -> connection[0].headTimedOut(ctx));
        // The request line is method, target and version: room for the longest allowed target.
        RequestDecoder decoder = new RequestDecoder(s.maxUriLength() + 64, s.maxHeaderBytes(), MAX_CHUNK_BYTES,
                proxy.forwarding() != null);
        // Reads only: ClientConnection closes on it only between requests, and restarts it when the
        // last exchange ends (a timer that watches writes costs a promise and a listener per write).
        IdleStateHandler idleness = new IdleStateHandler(s.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS);
        connection[0] = new ClientConnection(proxy, loops.get(ch.eventLoop()), headTimeout, decoder, idleness);
        ch.pipeline().addLast(wireBytes);
        if (tls != null) {
            ch.pipeline().addLast(new SniSelector(tls, tls.settings().handshakeTimeout().toMillis()), handshakes);
        }
        ch.pipeline().addLast(
                headTimeout,
                idleness,
                decoder,
                connection[0]);
    }
}
