package dev.turnpike.runtime.upstream;

import dev.turnpike.api.Peer;
import dev.turnpike.runtime.tls.UpstreamTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;

/**
 * Opens connections to peers on one event loop: the TCP connect (a name goes to the non-blocking
 * resolver), then, for a peer that speaks TLS, the handshake. What the connection is for is the
 * caller's: an HTTP pool adds its handlers, an L4 relay none. Confined to its loop.
 */
public final class UpstreamConnector {

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final Duration defaultConnectTimeout;
    private final UpstreamTls tls;

    /**
     * @param bootstrap the group, channel type, resolver and socket options every connection gets
     * @param tls       the client TLS contexts, or {@code null} when no peer may speak TLS
     */
    public UpstreamConnector(EventLoop loop, Bootstrap bootstrap, Duration defaultConnectTimeout, UpstreamTls tls) {
        this.loop = loop;
        this.bootstrap = bootstrap;
        this.defaultConnectTimeout = defaultConnectTimeout;
        this.tls = tls;
    }

    /**
     * Opens a connection to {@code peer}; the future succeeds once it is connected and, for a TLS
     * peer, its handshake is done. It fails with the connect error ({@link ConnectTimeoutException}
     * after the peer's or the default connect timeout; an {@link SSLException} when the handshake
     * fails or takes longer than the connect timeout again).
     *
     * @param init adds the caller's handlers to the new channel's pipeline (after the TLS handler)
     */
    public Future<Channel> connect(Peer peer, Consumer<Channel> init) {
        Promise<Channel> promise = loop.newPromise();
        if (!peer.tls()) {
            open(peer, null, init, promise);
            return promise;
        }
        if (tls == null) {
            return promise.setFailure(new SSLException("no TLS towards backends here"));
        }
        Future<SslContext> context = tls.context(peer, loop);
        if (context.isDone()) {
            withContext(peer, context, init, promise);
        } else {
            // The connect timeout covers the wait for a context whose files are slow to read.
            long millis = timeoutMillis(peer);
            var timer = loop.schedule(() -> promise.tryFailure(new ConnectTimeoutException(
                    "the TLS context for " + peer.address() + " was not ready within " + millis + " ms")),
                    millis, TimeUnit.MILLISECONDS);
            context.addListener(done -> {
                timer.cancel(false);
                if (!promise.isDone()) {
                    withContext(peer, context, init, promise);
                }
            });
        }
        return promise;
    }

    private long timeoutMillis(Peer peer) {
        return (peer.connectTimeout() != null ? peer.connectTimeout() : defaultConnectTimeout).toMillis();
    }

    private void withContext(Peer peer, Future<SslContext> context, Consumer<Channel> init, Promise<Channel> promise) {
        if (context.isSuccess()) {
            open(peer, context.getNow(), init, promise);
        } else {
            promise.setFailure(context.cause());
        }
    }

    private void open(Peer peer, SslContext sslContext, Consumer<Channel> init, Promise<Channel> promise) {
        long timeoutMillis = timeoutMillis(peer);
        Bootstrap b = bootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (sslContext != null) {
                            ch.pipeline().addLast(UpstreamTls.handler(sslContext, peer, ch.alloc(), timeoutMillis));
                        }
                        init.accept(ch);
                    }
                });
        ChannelFuture f = b.connect(address(peer));
        f.addListener(done -> {
            if (!done.isSuccess()) {
                promise.setFailure(done.cause());
            } else if (sslContext == null) {
                promise.setSuccess(f.channel());
            } else {
                Channel ch = f.channel();
                long handshakeStart = System.nanoTime(); // from the TCP connect: the handshake's own time
                Future<Channel> handshake = ch.pipeline().get(SslHandler.class).handshakeFuture();
                handshake.addListener(hs -> {
                    tls.handshakeDone(ch, handshake, handshakeStart);
                    if (hs.isSuccess()) {
                        promise.setSuccess(ch);
                    } else {
                        ch.close();
                        promise.setFailure(UpstreamTls.asHandshakeFailure(hs.cause()));
                    }
                });
            }
        });
    }

    /** An IP literal needs no resolver; a name goes to the (non-blocking) resolver group. */
    static SocketAddress address(Peer peer) {
        byte[] ip = NetUtil.createByteArrayFromIpAddressString(peer.host());
        if (ip != null) {
            try {
                return new InetSocketAddress(InetAddress.getByAddress(peer.host(), ip), peer.port());
            } catch (UnknownHostException impossible) {
                throw new IllegalStateException(impossible);
            }
        }
        return InetSocketAddress.createUnresolved(peer.host(), peer.port());
    }
}
