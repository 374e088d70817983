package dev.turnpike.runtime.upstream;

import dev.turnpike.api.Peer;
import dev.turnpike.runtime.tls.UpstreamTls;
import dev.turnpike.runtime.wire.ResponseDecoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The upstream connections of one event loop: idle keep-alive connections per peer, and new ones
 * opened on this same loop. A request and the upstream connection it uses therefore share one
 * thread: no locks, no hand-offs. Confined to its loop; every method must be called on it.
 *
 * <p>Idle connections are reused most-recently-used first (the warmest socket, and the ones at the
 * bottom age out through {@code upstream.idle_timeout}); at most {@code maxIdlePerPeer} are kept.
 *
 * <p>Connections are keyed by {@link Peer}, whose equality covers every TLS setting (SNI name,
 * verification, trust, client certificate), so a connection is only reused for a peer it was
 * opened, and verified, for. A TLS connection is handed out only once its handshake is done.
 */
public final class UpstreamPool implements Connections {

    /** Response heads from backends are bigger than request heads at times (cookies, CSP). */
    private static final int MAX_RESPONSE_HEADER_BYTES = 64 * 1024;
    private static final int MAX_CHUNK_BYTES = 64 * 1024;

    private final EventLoop loop;
    private final UpstreamConnector connector;
    private final long idleTimeoutMillis;
    private final int maxIdlePerPeer;
    private final Map<Peer, ArrayDeque<PooledConnection>> idle = new HashMap<>();
    private int idleCount;
    private int inUse;

    public UpstreamPool(EventLoop loop, Class<? extends Channel> channelType,
                        AddressResolverGroup<? extends SocketAddress> resolver,
                        Duration connectTimeout, Duration idleTimeout, int maxIdlePerPeer, UpstreamTls tls) {
        this.loop = loop;
        this.idleTimeoutMillis = idleTimeout.toMillis();
        this.maxIdlePerPeer = maxIdlePerPeer;
        this.connector = new UpstreamConnector(loop, new Bootstrap()
                .group(loop)
                .channel(channelType)
                .resolver(resolver)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true), connectTimeout, tls);
    }

    @Override
    public PooledConnection pollIdle(Peer peer) {
        ArrayDeque<PooledConnection> q = idle.get(peer);
        if (q == null) {
            return null;
        }
        PooledConnection c;
        while ((c = q.pollLast()) != null) {
            idleCount--;
            c.idle(false);
            if (c.channel().isActive()) {
                return c;
            }
        }
        return null;
    }

    /**
     * Opens a new connection to {@code peer} on this loop, with its TLS handshake done when the peer
     * speaks TLS. The future fails with the connect error ({@link io.netty.channel.ConnectTimeoutException}
     * after the peer's or the default connect timeout; an {@link javax.net.ssl.SSLException} when
     * the handshake fails or takes longer than the connect timeout again).
     */
    @Override
    public Future<PooledConnection> connect(Peer peer) {
        Promise<PooledConnection> promise = loop.newPromise();
        PooledConnection[] made = new PooledConnection[1];
        connector.connect(peer, ch -> made[0] = adopt(ch, peer)).addListener(done -> {
            if (done.isSuccess()) {
                promise.setSuccess(made[0]);
            } else {
                promise.setFailure(done.cause());
            }
        });
        return promise;
    }

    /**
     * Makes {@code ch}, a channel to {@code peer} on this loop, one of this pool's connections: adds
     * the upstream handlers to its pipeline. {@link #connect} does it for the channels it opens; a
     * test does it for an embedded channel.
     */
    public PooledConnection adopt(Channel ch, Peer peer) {
        // Requests go out as bytes (the exchange writes the head and the body framing); only
        // responses are decoded here.
        ResponseDecoder decoder = new ResponseDecoder(MAX_RESPONSE_HEADER_BYTES, MAX_CHUNK_BYTES);
        // Reads only: the connection is closed for idleness only while it sits in the pool, where
        // PooledConnection.idle restarts this clock.
        IdleStateHandler idleness = new IdleStateHandler(idleTimeoutMillis, 0, 0, TimeUnit.MILLISECONDS);
        PooledConnection c = new PooledConnection(ch, peer, this, decoder, idleness);
        UpstreamHandler handler = new UpstreamHandler(c);
        c.handler(handler);
        ch.pipeline().addLast(idleness, decoder, handler);
        return c;
    }

    /** Keeps a connection that ended an exchange cleanly, or closes it when the pool is full. */
    void offer(PooledConnection c) {
        if (!c.channel().isActive()) {
            return;
        }
        ArrayDeque<PooledConnection> q = idle.computeIfAbsent(c.peer(), p -> new ArrayDeque<>());
        if (q.size() >= maxIdlePerPeer) {
            c.channel().close();
            return;
        }
        c.idle(true);
        q.addLast(c);
        idleCount++;
    }

    /** Forgets an idle connection that closed. */
    void remove(PooledConnection c) {
        ArrayDeque<PooledConnection> q = idle.get(c.peer());
        if (q != null && q.remove(c)) {
            idleCount--;
        }
    }

    /** Idle connections held now, over all peers. Readable from any thread (a gauge may lag). */
    public int idleCount() {
        return idleCount;
    }

    /** Connections held by requests now. Readable from any thread (a gauge may lag). */
    public int inUseCount() {
        return inUse;
    }

    void leased(int delta) {
        inUse += delta;
    }

    /** Closes every idle connection (shutdown). */
    public void closeIdle() {
        for (ArrayDeque<PooledConnection> q : idle.values()) {
            PooledConnection c;
            while ((c = q.pollFirst()) != null) {
                c.idle(false);
                c.channel().close();
            }
        }
        idleCount = 0;
    }
}
