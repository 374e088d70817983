package dev.turnpike.runtime.l4;

import dev.turnpike.runtime.config.TcpListenerSettings;
import dev.turnpike.runtime.exchange.LoopResources;
import dev.turnpike.runtime.exchange.ProxyContext;
import dev.turnpike.runtime.upstream.UpstreamConnector;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * One tcp listener's accepted connections: each becomes a {@link TcpConnection} on the event loop
 * that accepted it, with that loop's connector for its backend (so a connection and its backend
 * share a thread). Until its tunnel is in place the accepted channel has only {@link HeldBytes},
 * which reads (and holds) up to its limit so that a client that leaves is seen. Shared by the
 * listener's channels.
 */
@ChannelHandler.Sharable
public final class TcpListener extends ChannelInitializer<Channel> {

    private final TcpListenerSettings settings;
    private final ProxyContext proxy;
    private final Map<EventLoop, LoopResources> loops;
    private final Map<EventLoop, UpstreamConnector> connectors;
    private final ProxyProtocol proxyProtocol;

    /**
     * @param connectors per event loop, a connector whose channels start with auto-read off (the
     *                   tunnel turns it on once it relays)
     */
    public TcpListener(TcpListenerSettings settings, ProxyContext proxy, Map<EventLoop, LoopResources> loops,
                       Map<EventLoop, UpstreamConnector> connectors) {
        this.settings = settings;
        this.proxy = proxy;
        this.loops = Map.copyOf(loops);
        this.connectors = Map.copyOf(connectors);
        this.proxyProtocol = ProxyProtocol.of(settings.proxyProtocol());
    }

    TcpListenerSettings settings() {
        return settings;
    }

    ProxyContext proxy() {
        return proxy;
    }

    ProxyProtocol proxyProtocol() {
        return proxyProtocol;
    }

    @Override
    protected void initChannel(Channel ch) {
        EventLoop loop = ch.eventLoop();
        LoopResources resources = loops.get(loop);
        TcpSession session = new TcpSession(resources.nextRequestId(), settings.name(),
                (InetSocketAddress) ch.remoteAddress(), (InetSocketAddress) ch.localAddress(), resources.executor(),
                System.nanoTime());
        HeldBytes held = new HeldBytes();
        ch.pipeline().addLast(held);
        held.watch(ch.pipeline().context(held));
        new TcpConnection(this, ch, connectors.get(loop), session, held).start();
    }
}
