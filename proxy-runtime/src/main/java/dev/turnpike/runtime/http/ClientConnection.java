package dev.turnpike.runtime.http;

import dev.turnpike.runtime.exchange.Downstream;
import dev.turnpike.runtime.wire.RequestDecoder;
import dev.turnpike.runtime.exchange.LoopResources;
import dev.turnpike.runtime.exchange.ProxyContext;
import dev.turnpike.runtime.exchange.ClientRequest;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: hands each decoded request to a {@link ClientRequest}, one at a time, and
 * queues what a pipelining client sends meanwhile so responses go out in request order. Reading
 * pauses while the request asks for it (backpressure) or the queue is full. Owns the one timer
 * that looks at every wait of the current request.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter implements Downstream {

    private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);

    private final ProxyContext proxy;
    private final LoopResources loop;
    private final HeadTimeout headTimeout;
    private final RequestDecoder decoder;
    /** The connection left HTTP for a tunnel: this handler is out of the pipeline. */
    private boolean tunneled;
    private final ArrayDeque<Object> queued = new ArrayDeque<>(0);
    private final int maxQueued;
    private final io.netty.handler.timeout.IdleStateHandler idleness;
    private ChannelHandlerContext ctx;
    private ClientRequest current;
    private long requests;
    private boolean inRead;
    private boolean pausedByExchange;
    private boolean pausedByQueue;
    private ScheduledFuture<?> timer;
    private long timerDeadline;
    private dev.turnpike.api.TlsInfo tls;
    private boolean tlsLooked;

    /** @param idleness the reader-idle timer of {@code server.idle_timeout}, restarted when the connection goes idle */
    ClientConnection(ProxyContext proxy, LoopResources loop, HeadTimeout headTimeout, RequestDecoder decoder,
                     io.netty.handler.timeout.IdleStateHandler idleness) {
        this.idleness = idleness;
        this.proxy = proxy;
        this.loop = loop;
        this.headTimeout = headTimeout;
        this.decoder = decoder;
        // A pipelined request is a head, maybe body parts, and a last part: room for a few parts each.
        this.maxQueued = proxy.server().maxPipelined() * 4;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        inRead = true;
        try {
            dispatch(msg);
        } finally {
            inRead = false;
        }
    }

    private void dispatch(Object msg) {
        if (msg instanceof LastHttpContent) {
            headTimeout.awaitHead();
        }
        if (current != null && queued.isEmpty() && msg instanceof HttpContent && !current.requestComplete()) {
            current.onRequestContent((HttpContent) msg);
            return;
        }
        if (current != null || !queued.isEmpty()) {
            queued.add(msg);
            if (queued.size() >= maxQueued && !pausedByQueue) {
                pausedByQueue = true;
                updateReading();
            }
            return;
        }
        begin(msg);
    }

    private void begin(Object msg) {
        if (!(msg instanceof HttpRequest)) {
            // Body parts of a request that was already answered and closed on: nothing to do with them.
            ReferenceCountUtil.release(msg);
            return;
        }
        HttpRequest request = (HttpRequest) msg;
        headTimeout.headReceived();
        current = ClientRequest.create(this, request, requests++);
        current.start();
    }

    /** Whether a request waits in the queue: then a hold is that request's, not the finished one's. */
    private boolean queuedRequest() {
        for (Object o : queued) {
            if (o instanceof HttpRequest) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void openTunnel(ClientRequest request, Channel upstream, io.netty.channel.ChannelHandler upstreamDecoder,
                           String kind, dev.turnpike.runtime.tunnel.Tunnel.Listener ended) {
        if (current != request || !ctx.channel().isActive()) {
            upstream.close();
            ended.ended(0, 0, "the client left before the tunnel opened");
            return;
        }
        tunneled = true;
        current = null;
        releaseQueued();
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        var p = ctx.pipeline();
        java.util.List<io.netty.channel.ChannelHandler> http = new java.util.ArrayList<>(java.util.List.of(this, headTimeout));
        http.add(idleness);
        dev.turnpike.runtime.tunnel.Tunnel.open(ctx.channel(), http, decoder, upstream, upstreamDecoder, kind,
                proxy.tunnelIdleTimeout(), proxy.metrics().tunnels(), ended);
    }

    /** Shutdown: closes the connection unless a request is in progress (that one closes it when done). */
    void closeIfIdle() {
        if (current == null) {
            releaseQueued();
            ctx.close();
        }
    }

    @Override
    public void finished(ClientRequest request, boolean keepOpen) {
        if (current != request || tunneled) {
            return;
        }
        current = null;
        pausedByExchange = false;
        if (decoder.held() && keepOpen && ctx.channel().isActive() && !queuedRequest()) {
            // An upgrade answered without a switch: the connection stays HTTP, and what the client
            // sent meanwhile is its next request.
            decoder.resume(ctx.pipeline().context(decoder));
        }
        if (!keepOpen || !ctx.channel().isActive() || proxy.closing()) {
            releaseQueued();
            ctx.close();
            return;
        }
        while (!queued.isEmpty()) {
            Object next = queued.peek();
            if (current == null) {
                begin(queued.poll());
            } else if (next instanceof HttpContent && !current.requestComplete()) {
                current.onRequestContent((HttpContent) queued.poll());
            } else {
                break;
            }
        }
        if (pausedByQueue && queued.size() < maxQueued / 2) {
            pausedByQueue = false;
        }
        if (current == null) {
            idleness.resetReadTimeout(); // idle from now: server.idle_timeout counts between requests
        }
        updateReading();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (current != null) {
            current.flushUpstream();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (current != null) {
            current.onClientWritabilityChanged(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        releaseQueued();
        if (current != null) {
            current.onClientClosed();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (current == null && queued.isEmpty()) {
                ctx.close(); // idle keep-alive connection: server.idle_timeout
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A failed or non-TLS handshake is the client's business, counted by HandshakeObserver.
        if (cause instanceof IOException || cause.getCause() instanceof javax.net.ssl.SSLException) {
            log.debug("client {} connection error: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("client {} connection error", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    /**
     * The request head did not arrive in time. Closed without an answer, as nginx does: the decoder
     * holds half a head, and a response now could not be paired with any request.
     */
    void headTimedOut(ChannelHandlerContext headCtx) {
        log.debug("client {} did not send a complete request head in time; closing", headCtx.channel().remoteAddress());
        proxy.metrics().clientTimedOut();
        proxy.metrics().requestFailed(dev.turnpike.api.ErrorKind.CLIENT_TIMEOUT.label());
        // Logged as what it was: no request, a head that never ended, no response (nginx logs these too).
        proxy.accessLog().recordUnfinishedHead((java.net.InetSocketAddress) headCtx.channel().remoteAddress(),
                headTimeout.headStartNanos(), System.nanoTime(), headTimeout.headBytes(),
                "no complete request head within " + headTimeout.timeoutNanos() / 1_000_000 + " ms");
        headCtx.channel().close();
    }

    // ---- what a request uses

    @Override
    public Channel channel() {
        return ctx.channel();
    }

    @Override
    public dev.turnpike.api.TlsInfo tls() {
        // Settled by the handshake, which ends before the first request is read: looked up once.
        if (!tlsLooked) {
            tls = ctx.channel().attr(dev.turnpike.runtime.tls.HandshakeObserver.INFO).get();
            tlsLooked = true;
        }
        return tls;
    }

    @Override
    public LoopResources loop() {
        return loop;
    }

    @Override
    public ProxyContext proxy() {
        return proxy;
    }

    @Override
    public void due(long deadline) {
        if (timer != null) {
            if (timerDeadline - deadline <= 0) {
                return; // an earlier check is due; it re-arms for this deadline
            }
            timer.cancel(false);
        }
        timerDeadline = deadline;
        timer = ctx.executor().schedule(this::checkDeadlines, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void checkDeadlines() {
        timer = null;
        ClientRequest r = current;
        if (r != null) {
            long next = r.checkDeadlines(System.nanoTime());
            if (next != 0 && current == r) {
                due(next);
            }
        }
    }

    @Override
    public boolean inRead() {
        return inRead;
    }

    @Override
    public void pauseReading(boolean pause) {
        if (pausedByExchange != pause) {
            pausedByExchange = pause;
            updateReading();
        }
    }

    private void updateReading() {
        boolean read = !pausedByExchange && !pausedByQueue;
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    private void releaseQueued() {
        Object o;
        while ((o = queued.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
    }
}
