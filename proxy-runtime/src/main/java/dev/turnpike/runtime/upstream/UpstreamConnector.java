package dev.turnpike.runtime.upstream;

import dev.turnpike.api.Peer;
import dev.turnpike.runtime.tls.UpstreamTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
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
        return connect(peer, init, null);
    }

    /**
     * As {@link #connect(Peer, Consumer)}, with {@code preface} written and flushed as the first
     * bytes of the TCP connection, before anything else and, for a TLS peer, before the client hello
     * (the PROXY protocol header is read by the backend ahead of its TLS). The preface is released
     * when the connect fails. Cancelling the returned future closes the connection, whatever stage
     * it is at (the caller's client went away).
     *
     * @param preface bytes to send first, or {@code null}
     */
    public Future<Channel> connect(Peer peer, Consumer<Channel> init, ByteBuf preface) {
        Promise<Channel> promise = loop.newPromise();
        // Ours until written; the channel's once written (a failure after that must not release it again).
        ByteBuf[] pending = preface == null ? null : new ByteBuf[] {preface};
        if (pending != null) {
            promise.addListener(done -> {
                if (!done.isSuccess() && pending[0] != null) {
                    pending[0].release();
                    pending[0] = null;
                }
            });
        }
        if (!peer.tls()) {
            open(peer, null, init, pending, promise);
            return promise;
        }
        if (tls == null) {
            promise.setFailure(new SSLException("no TLS towards backends here"));
            return promise;
        }
        Future<SslContext> context = tls.context(peer, loop);
        if (context.isDone()) {
            withContext(peer, context, init, pending, promise);
        } else {
            // The connect timeout covers the wait for a context whose files are slow to read.
            long millis = timeoutMillis(peer);
            var timer = loop.schedule(() -> promise.tryFailure(new ConnectTimeoutException(
                    "the TLS context for " + peer.address() + " was not ready within " + millis + " ms")),
                    millis, TimeUnit.MILLISECONDS);
            context.addListener(done -> {
                timer.cancel(false);
                if (!promise.isDone()) {
                    withContext(peer, context, init, pending, promise);
                }
            });
        }
        return promise;
    }

    private long timeoutMillis(Peer peer) {
        return (peer.connectTimeout() != null ? peer.connectTimeout() : defaultConnectTimeout).toMillis();
    }

    private void withContext(Peer peer, Future<SslContext> context, Consumer<Channel> init, ByteBuf[] pending,
                             Promise<Channel> promise) {
        if (context.isSuccess()) {
            open(peer, context.getNow(), init, pending, promise);
        } else {
            promise.tryFailure(context.cause());
        }
    }

    /** @param pending the preface not yet written (one slot), or {@code null} for none */
    private void open(Peer peer, SslContext sslContext, Consumer<Channel> init, ByteBuf[] pending,
                      Promise<Channel> promise) {
        long timeoutMillis = timeoutMillis(peer);
        // With a preface, the TLS handler joins once the preface has gone: added to an active
        // channel, it starts its handshake then.
        boolean tlsAtOnce = sslContext != null && pending == null;
        Bootstrap b = bootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tlsAtOnce) {
                            ch.pipeline().addLast(UpstreamTls.handler(sslContext, peer, ch.alloc(), timeoutMillis));
                        }
                        init.accept(ch);
                    }
                });
        ChannelFuture f = b.connect(address(peer));
        promise.addListener(done -> {
            if (done.isCancelled()) {
                f.channel().close();
            }
        });
        f.addListener(done -> {
            if (!done.isSuccess()) {
                promise.tryFailure(done.cause());
                return;
            }
            Channel ch = f.channel();
            if (promise.isDone()) {
                ch.close(); // cancelled meanwhile
                return;
            }
            if (pending != null) {
                ByteBuf preface = pending[0];
                pending[0] = null;
                ch.writeAndFlush(preface);
                if (sslContext != null) {
                    ch.pipeline().addFirst(UpstreamTls.handler(sslContext, peer, ch.alloc(), timeoutMillis));
                }
            }
            if (sslContext == null) {
                promise.trySuccess(ch);
                return;
            }
            long handshakeStart = System.nanoTime(); // from the TCP connect: the handshake's own time
            Future<Channel> handshake = ch.pipeline().get(SslHandler.class).handshakeFuture();
            handshake.addListener(hs -> {
                tls.handshakeDone(ch, handshake, handshakeStart);
                if (hs.isSuccess()) {
                    if (!promise.trySuccess(ch)) {
                        ch.close();
                    }
                } else {
                    ch.close();
                    promise.tryFailure(UpstreamTls.asHandshakeFailure(hs.cause()));
                }
            });
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
