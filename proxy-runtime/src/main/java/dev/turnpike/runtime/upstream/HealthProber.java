package dev.turnpike.runtime.upstream;

import dev.turnpike.api.Peer;
import dev.turnpike.api.health.HealthProbes;
import dev.turnpike.api.health.HttpProbe;
import dev.turnpike.api.health.ProbeResult;
import dev.turnpike.runtime.tls.UpstreamTls;
import dev.turnpike.runtime.transport.EventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import dev.turnpike.runtime.tls.TlsFailure;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The runtime's {@link HealthProbes}: each probe is one fresh connection on an event loop, bounded
 * by its timeout from the first step (resolve, connect, send, response head), then closed. Nothing
 * is shared between probes, so one that hangs holds nothing but its own socket until its timeout.
 * A TLS peer is probed over TLS, with the peer's SNI name, verification and client certificate, as
 * requests to it are; for a TCP probe the handshake must succeed too.
 */
public final class HealthProber implements HealthProbes {

    private static final String USER_AGENT = "turnpike-health-check";

    private final EventLoops loops;
    private final UpstreamTls tls;

    public HealthProber(EventLoops loops, UpstreamTls tls) {
        this.loops = loops;
        this.tls = tls;
    }

    @Override
    public CompletionStage<ProbeResult> tcp(Peer peer, Duration timeout) {
        return probe(peer, timeout, null);
    }

    @Override
    public CompletionStage<ProbeResult> http(Peer peer, HttpProbe probe) {
        return probe(peer, probe.timeout(), probe);
    }

    private CompletionStage<ProbeResult> probe(Peer peer, Duration timeout, HttpProbe http) {
        EventLoop loop = loops.next();
        Attempt attempt = new Attempt(System.nanoTime());
        if (!peer.tls()) {
            loop.execute(() -> start(loop, peer, timeout, http, attempt, null));
            return attempt.result;
        }
        loop.execute(() -> {
            // The probe's time runs from here, also while its TLS context is being made.
            var timer = loop.schedule(() -> attempt.fail("timed out after " + timeout.toMillis() + "ms"),
                    Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
            attempt.result.whenComplete((r, e) -> timer.cancel(false));
            tls.context(peer, loop).addListener(f -> {
                if (attempt.result.isDone()) {
                    return;
                }
                if (f.isSuccess()) {
                    start(loop, peer, timeout, http, attempt, (SslContext) f.getNow());
                } else {
                    attempt.fail("TLS cannot be set up: " + f.cause().getMessage());
                }
            });
        });
        return attempt.result;
    }

    /** On the loop: connects, and arms the one timer that bounds the whole probe. */
    private void start(EventLoop loop, Peer peer, Duration timeout, HttpProbe http, Attempt attempt, SslContext sslContext) {
        long millis = Math.max(1, timeout.toMillis());
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(loops.transport().socketChannel())
                .resolver(loops.resolver())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, millis))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (sslContext != null) {
                            ch.pipeline().addLast(UpstreamTls.handler(sslContext, peer, ch.alloc(), millis));
                        }
                        if (http != null) {
                            ch.pipeline().addLast(new HttpClientCodec(4096, 16 * 1024, 8192, false),
                                    new ResponseHeadReader(attempt));
                        }
                    }
                });
        ChannelFuture connect;
        try {
            connect = b.connect(UpstreamConnector.address(peer));
        } catch (RuntimeException e) {
            attempt.fail(e.toString());
            return;
        }
        attempt.channel = connect.channel();
        var timer = loop.schedule(() -> attempt.fail("timed out after " + timeout.toMillis() + "ms"), millis, TimeUnit.MILLISECONDS);
        attempt.result.whenComplete((r, e) -> {
            timer.cancel(false);
            attempt.channel.close();
        });
        connect.addListener(done -> {
            long started = System.nanoTime(); // a handshake's time runs from the TCP connect
            if (!done.isSuccess()) {
                attempt.fail(describe(done.cause()));
            } else if (sslContext != null && http == null) {
                Future<Channel> handshake = attempt.channel.pipeline().get(SslHandler.class).handshakeFuture();
                handshake.addListener(hs -> {
                    tls.handshakeDone(attempt.channel, handshake, started);
                    if (hs.isSuccess()) {
                        attempt.succeed(0);
                    } else {
                        attempt.fail("TLS handshake failed: " + TlsFailure.of(hs.cause()).words());
                    }
                });
            } else if (http == null) {
                attempt.succeed(0);
            } else {
                if (sslContext != null) {
                    Future<Channel> handshake = attempt.channel.pipeline().get(SslHandler.class).handshakeFuture();
                    handshake.addListener(hs -> {
                        tls.handshakeDone(attempt.channel, handshake, started);
                        if (!hs.isSuccess()) {
                            attempt.fail("TLS handshake failed: " + TlsFailure.of(hs.cause()).words());
                        }
                    });
                }
                attempt.channel.writeAndFlush(request(peer, http)).addListener(w -> {
                    if (!w.isSuccess()) {
                        attempt.fail("cannot send the check: " + describe(w.cause()));
                    }
                });
            }
        });
    }

    private static FullHttpRequest request(Peer peer, HttpProbe http) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(http.method()), http.path(),
                Unpooled.EMPTY_BUFFER);
        r.headers().set(HttpHeaderNames.HOST, http.host() != null ? http.host() : peer.address());
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        r.headers().set(HttpHeaderNames.USER_AGENT, USER_AGENT);
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
        return r;
    }

    private static String describe(Throwable t) {
        if (t instanceof ConnectTimeoutException) {
            return "connect timed out";
        }
        if (t instanceof ConnectException) {
            return "connection refused";
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    /** One probe's outcome: the first of success, failure or timeout wins. */
    private static final class Attempt {
        final CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        final long startNanos;
        Channel channel;

        Attempt(long startNanos) {
            this.startNanos = startNanos;
        }

        void succeed(int status) {
            result.complete(new ProbeResult(status, elapsed(), null));
        }

        void fail(String why) {
            result.complete(new ProbeResult(0, elapsed(), why));
        }

        private Duration elapsed() {
            return Duration.ofNanos(System.nanoTime() - startNanos);
        }
    }

    /** Completes the probe with the first response head's status (1xx heads are passed over). */
    private static final class ResponseHeadReader extends SimpleChannelInboundHandler<HttpObject> {
        private final Attempt attempt;

        ResponseHeadReader(Attempt attempt) {
            this.attempt = attempt;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg.decoderResult().isFailure()) {
                attempt.fail("invalid response: " + msg.decoderResult().cause().getMessage());
            } else if (msg instanceof HttpResponse r && r.status().code() >= 200) {
                attempt.succeed(r.status().code());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            attempt.fail("connection closed before a response");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            attempt.fail(describe(cause));
        }
    }
}
