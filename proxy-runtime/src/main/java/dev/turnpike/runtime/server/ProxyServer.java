package dev.turnpike.runtime.server;

import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.config.ProxyConfig;
import dev.turnpike.runtime.http.ClientChannelInitializer;
import dev.turnpike.runtime.http.LoopResources;
import dev.turnpike.runtime.http.ProxyContext;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.transport.Transport;
import dev.turnpike.runtime.upstream.UpstreamPool;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening proxy: one group of event loops that accept, serve clients and talk to backends
 * (a request never changes thread), with an upstream pool per loop.
 */
public final class ProxyServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final ProxyConfig config;
    private final ProxyContext context;
    private final Transport transport = Transport.best();
    private EventLoopGroup group;
    private DnsAddressResolverGroup resolver;
    private final Map<EventLoop, LoopResources> loops = new HashMap<>();
    private Channel listener;

    public ProxyServer(ProxyConfig config, Supplier<Chain> chain, ProxyMetrics metrics) {
        this.config = config;
        this.context = new ProxyContext(config.server(), config.upstream(), chain, metrics);
    }

    /** Binds the listen address; returns once the server accepts connections. */
    public ProxyServer start() throws InterruptedException {
        int workers = config.server().workers();
        group = transport.newGroup(workers, "turnpike-loop");
        Class<? extends DatagramChannel> udp = transport == Transport.EPOLL ? EpollDatagramChannel.class : NioDatagramChannel.class;
        resolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder().datagramChannelType(udp));
        int i = 0;
        for (EventExecutor e : group) {
            EventLoop loop = (EventLoop) e;
            UpstreamPool pool = new UpstreamPool(loop, transport.socketChannel(), resolver,
                    config.upstream().connectTimeout(), config.upstream().idleTimeout(), config.upstream().maxIdlePerPeer());
            loops.put(loop, new LoopResources(loop, pool, i++));
        }
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ClientChannelInitializer(context, loops));
        InetSocketAddress address = new InetSocketAddress(config.server().listen().host(), config.server().listen().port());
        listener = b.bind(address).sync().channel();
        log.info("listening on {} ({} event loop{}, {})", listener.localAddress(), workers, workers == 1 ? "" : "s",
                transport.name().toLowerCase());
        return this;
    }

    /** The bound address (the real port when the config said 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    public ProxyContext context() {
        return context;
    }

    /** Stops accepting, closes every connection and the event loops. */
    @Override
    public void close() {
        context.startClosing();
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (resolver != null) {
            resolver.close();
        }
    }
}
