package dev.turnpike.runtime.http;

import dev.turnpike.runtime.config.ServerSettings;
import dev.turnpike.runtime.exchange.LoopResources;
import dev.turnpike.runtime.exchange.ProxyContext;
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
 * stream, and responses go out as bytes the exchange frames itself.
 */
public final class ClientChannelInitializer extends ChannelInitializer<Channel> {

    /** Body parts are forwarded as they come; this caps one part, not the body. */
    private static final int MAX_CHUNK_BYTES = 64 * 1024;

    private final ProxyContext proxy;
    private final Map<EventLoop, LoopResources> loops;
    private final WireBytes wireBytes;

    public ClientChannelInitializer(ProxyContext proxy, Map<EventLoop, LoopResources> loops) {
        this.proxy = proxy;
        this.loops = Map.copyOf(loops);
        this.wireBytes = new WireBytes(proxy.metrics());
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
        } else {
            ch.close();
        }
    }

    @Override
    protected void initChannel(Channel ch) {
        ServerSettings s = proxy.server();
        ClientConnection[] connection = new ClientConnection[1];
        HeadTimeout headTimeout = new HeadTimeout(s.requestHeaderTimeout().toNanos(), ctx -> connection[0].headTimedOut(ctx));
        connection[0] = new ClientConnection(proxy, loops.get(ch.eventLoop()), headTimeout);
        ch.pipeline().addLast(
                wireBytes,
                headTimeout,
                new IdleStateHandler(0, 0, s.idleTimeout().toMillis(), TimeUnit.MILLISECONDS),
                // The request line is method, target and version: room for the longest allowed target.
                new RequestDecoder(s.maxUriLength() + 64, s.maxHeaderBytes(), MAX_CHUNK_BYTES),
                connection[0]);
    }
}
