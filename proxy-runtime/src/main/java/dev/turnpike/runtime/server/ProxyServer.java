package dev.turnpike.runtime.server;

import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.config.ProxyConfig;
import dev.turnpike.runtime.config.ProxyProtocolMode;
import dev.turnpike.runtime.config.TcpListenerSettings;
import dev.turnpike.runtime.l4.TcpListener;
import dev.turnpike.runtime.upstream.UpstreamConnector;
import dev.turnpike.runtime.http.ClientChannelInitializer;
import dev.turnpike.runtime.exchange.LoopResources;
import dev.turnpike.runtime.exchange.ProxyContext;
import dev.turnpike.runtime.log.AccessLog;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.tls.TlsRuntime;
import dev.turnpike.runtime.transport.EventLoops;
import dev.turnpike.runtime.transport.Transport;
import dev.turnpike.runtime.upstream.UpstreamPool;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
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
 * (a request never changes thread), with an upstream pool per loop. It listens on
 * {@code server.listen} (cleartext), {@code server.tls.listen} (TLS), or both; both listeners feed
 * the same pipeline after the TLS handlers, and so the same phases.
 */
public final class ProxyServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    /** Connections accepted per wake-up of a listener. */
    private static final int ACCEPTS_PER_READ = 256;

    private final ProxyConfig config;
    private final ProxyContext context;
    private final EventLoops eventLoops;
    /** Whether the loops are this server's own (closed with it) rather than the caller's. */
    private final boolean ownLoops;
    private final Transport transport;
    private EventLoopGroup group;
    private final Map<EventLoop, LoopResources> loops = new HashMap<>();
    private final TlsRuntime tls;
    /** Whether {@link #tls} is this server's own (closed with it) rather than the caller's. */
    private final boolean ownTls;
    private Channel listener;
    private Channel tlsListener;
    /** The tcp listeners by name, in configured order. */
    private final Map<String, Channel> tcpListeners = new java.util.LinkedHashMap<>();
    private boolean closed;
    private final ChannelGroup clients = new DefaultChannelGroup("turnpike-clients", GlobalEventExecutor.INSTANCE);
    /** The tcp listeners' clients: never idle in the HTTP sense, they run until the grace period ends. */
    private final ChannelGroup tcpClients = new DefaultChannelGroup("turnpike-tcp-clients", GlobalEventExecutor.INSTANCE);

    /** A server on its own event loops ({@code server.workers} of them), closed with it. */
    public ProxyServer(ProxyConfig config, Supplier<Chain> chain, ProxyMetrics metrics, AccessLog accessLog) {
        this(config, EventLoops.start(config.server().workers()), true, null, chain, metrics, accessLog);
    }

    /** A server on the caller's event loops, which it does not close. */
    public ProxyServer(ProxyConfig config, EventLoops loops, Supplier<Chain> chain, ProxyMetrics metrics, AccessLog accessLog) {
        this(config, loops, false, null, chain, metrics, accessLog);
    }

    /** A server on the caller's event loops and TLS, neither of which it closes. */
    public ProxyServer(ProxyConfig config, EventLoops loops, TlsRuntime tls, Supplier<Chain> chain, ProxyMetrics metrics,
                       AccessLog accessLog) {
        this(config, loops, false, tls, chain, metrics, accessLog);
    }

    private ProxyServer(ProxyConfig config, EventLoops loops, boolean ownLoops, TlsRuntime tls, Supplier<Chain> chain,
                        ProxyMetrics metrics, AccessLog accessLog) {
        this.config = config;
        this.eventLoops = loops;
        this.ownLoops = ownLoops;
        this.ownTls = tls == null;
        this.tls = tls != null ? tls : TlsRuntime.prepare(config, metrics);
        this.transport = loops.transport();
        this.context = new ProxyContext(config.server(), config.upstream(), config.plugins().phaseTimeout(), chain, metrics,
                accessLog, config.tunnel().idleTimeout(), !config.forwardProxy().enabled() ? null
                        : new dev.turnpike.runtime.forward.Forwarding(config.forwardProxy(), loops.resolver(),
                                loops.transport().socketChannel(), config.upstream().connectTimeout()));
    }

    /** Binds the listen address; returns once the server accepts connections. */
    public ProxyServer start() throws InterruptedException {
        int workers = config.server().workers();
        group = eventLoops.group();
        var resolver = eventLoops.resolver();
        int i = 0;
        for (EventExecutor e : group) {
            EventLoop loop = (EventLoop) e;
            UpstreamPool pool = new UpstreamPool(loop, transport.socketChannel(), resolver,
                    config.upstream().connectTimeout(), config.upstream().idleTimeout(), config.upstream().maxIdlePerPeer(),
                    tls.upstream());
            loops.put(loop, new LoopResources(loop, pool, i++));
        }
        context.metrics().upstream().pools(
                () -> loops.values().stream().mapToInt(l -> l.pool().idleCount()).sum(),
                () -> loops.values().stream().mapToInt(l -> l.pool().inUseCount()).sum());
        if (config.server().listen() != null) {
            listener = bind(new ClientChannelInitializer(context, loops), config.server().listen(), "server.listen");
            log.info("listening on {} ({} event loop{}, {})", listener.localAddress(), workers, workers == 1 ? "" : "s",
                    transport.name().toLowerCase());
        }
        bindTcpListeners(resolver);
        if (tls.server() != null) {
            tls.server().start(group);
            tlsListener = bind(new ClientChannelInitializer(context, loops, tls.server()), config.server().tls().listen(),
                    "server.tls.listen");
            log.info("listening for TLS on {} ({} event loop{}, {})", tlsListener.localAddress(), workers,
                    workers == 1 ? "" : "s", transport.name().toLowerCase());
        }
        return this;
    }

    /** The L4 listeners: raw connections, relayed once their chain chose a backend. */
    private void bindTcpListeners(io.netty.resolver.AddressResolverGroup<?> resolver) {
        if (config.tcp().isEmpty()) {
            return;
        }
        Map<EventLoop, UpstreamConnector> connectors = new HashMap<>();
        for (EventLoop loop : loops.keySet()) {
            connectors.put(loop, new UpstreamConnector(loop, new io.netty.bootstrap.Bootstrap()
                    .group(loop)
                    .channel(transport.socketChannel())
                    .resolver(resolver)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.AUTO_READ, false), config.upstream().connectTimeout(), tls.upstream()));
        }
        for (int i = 0; i < config.tcp().size(); i++) {
            TcpListenerSettings t = config.tcp().get(i);
            Channel bound = bind(new TcpListener(t, context, loops, connectors), t.listen(), "tcp[" + i + "].listen", false);
            tcpListeners.put(t.name(), bound);
            log.info("listening for tcp ({}) on {}: chain of {} plugin(s){}", t.name(), bound.localAddress(), t.chain().size(),
                    t.proxyProtocol() == ProxyProtocolMode.NONE ? "" : ", PROXY protocol " + t.proxyProtocol().name().toLowerCase());
        }
    }

    private Channel bind(io.netty.channel.ChannelHandler clientInit, dev.turnpike.api.HostPort where, String key) {
        return bind(clientInit, where, key, true);
    }

    /**
     * {@code http} false for a tcp listener: its connections read only once relayed, and a client's
     * half-close before that must wait for the relay (epoll would otherwise close the connection
     * at once, and what the client sent before its FIN would be lost).
     */
    private Channel bind(io.netty.channel.ChannelHandler clientInit, dev.turnpike.api.HostPort where, String key,
                         boolean http) {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                // Accept the whole queue per wake-up (Netty's default is 16): with thousands of
                // clients connecting at once, the loop's other work would otherwise leave the
                // backlog to overflow, and the kernel drops SYNs that come back only after 1 s, 3 s...
                .option(ChannelOption.RCVBUF_ALLOCATOR, new io.netty.channel.ServerChannelRecvByteBufAllocator()
                        .maxMessagesPerRead(ACCEPTS_PER_READ))
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, http)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, !http)
                .childHandler(new io.netty.channel.ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        (http ? clients : tcpClients).add(ch); // leaves the group by itself when it closes
                        ch.pipeline().addLast(clientInit);
                    }
                });
        InetSocketAddress address = new InetSocketAddress(where.host(), where.port());
        io.netty.channel.ChannelFuture bound = b.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            closeListeners();
            throw new IllegalStateException("cannot listen on " + key + " " + where + ": " + bound.cause().getMessage(),
                    bound.cause());
        }
        return bound.channel();
    }

    /** The cleartext listener's address (the real port when the config said 0), or {@code null} without one. */
    public InetSocketAddress address() {
        return listener == null ? null : (InetSocketAddress) listener.localAddress();
    }

    /** The address of the tcp listener named {@code name} (the real port when the config said 0), or {@code null}. */
    public InetSocketAddress tcpAddress(String name) {
        Channel ch = tcpListeners.get(name);
        return ch == null ? null : (InetSocketAddress) ch.localAddress();
    }

    /** The TLS listener's address, or {@code null} without one. */
    public InetSocketAddress tlsAddress() {
        return tlsListener == null ? null : (InetSocketAddress) tlsListener.localAddress();
    }

    /** The server's TLS: the listener's certificates and the contexts towards backends. */
    public TlsRuntime tls() {
        return tls;
    }

    public ProxyContext context() {
        return context;
    }

    /**
     * Graceful shutdown: stops accepting, closes idle keep-alive connections at once, lets busy ones
     * finish their exchange (their next response says {@code Connection: close}) for up to
     * {@code grace}, then closes whatever is left. Blocks; call it from a management thread.
     *
     * @return whether every connection finished within the grace period
     */
    public boolean shutdownGracefully(java.time.Duration grace) {
        context.startClosing();
        closeListeners();
        for (Channel ch : clients) {
            ch.eventLoop().execute(() -> ClientChannelInitializer.closeWhenIdle(ch));
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while ((!clients.isEmpty() || !tcpClients.isEmpty()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        boolean clean = clients.isEmpty() && tcpClients.isEmpty();
        if (!clean) {
            log.warn("grace period of {} over; closing {} connection(s) with requests in flight and {} tcp connection(s)",
                    grace, clients.size(), tcpClients.size());
        }
        close();
        return clean;
    }

    /** Stops accepting, closes every connection and the event loops. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        context.startCutting();
        closeListeners();
        clients.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        tcpClients.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        if (group != null) {
            // Also a barrier: the requests the closed connections ended have been logged once these ran.
            for (EventExecutor loop : group) {
                loop.submit(() -> loops.values().forEach(l -> l.pool().closeIdle())).awaitUninterruptibly(1, TimeUnit.SECONDS);
            }
        }
        context.closeAccessLog();
        if (ownLoops) {
            eventLoops.close();
        }
        if (ownTls) {
            tls.close();
        }
    }

    private void closeListeners() {
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        if (tlsListener != null) {
            tlsListener.close().syncUninterruptibly();
        }
        for (Channel ch : tcpListeners.values()) {
            ch.close().syncUninterruptibly();
        }
    }
}
