package dev.turnpike.runtime.http;

import dev.turnpike.runtime.metrics.ProxyMetrics;
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
 * One client connection: hands each decoded request to an {@link Exchange}, one at a time, and
 * queues what a pipelining client sends meanwhile so responses go out in request order. Reading
 * pauses while the exchange asks for it (backpressure) or the queue is full.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);

    private final ProxyContext proxy;
    private final LoopResources loop;
    private final HeadTimeout headTimeout;
    private final ArrayDeque<Object> queued = new ArrayDeque<>(0);
    private final int maxQueued;
    private ChannelHandlerContext ctx;
    private Exchange current;
    private long requests;
    private boolean inRead;
    private boolean pausedByExchange;
    private boolean pausedByQueue;
    private ScheduledFuture<?> upstreamTimer;
    private long upstreamTimerDeadline;

    ClientConnection(ProxyContext proxy, LoopResources loop, HeadTimeout headTimeout) {
        this.proxy = proxy;
        this.loop = loop;
        this.headTimeout = headTimeout;
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
        current = new Exchange(this, request, proxy.acquireChain(), requests++);
        current.start();
    }

    /** Shutdown: closes the connection unless a request is in progress (that one closes it when done). */
    void closeIfIdle() {
        if (current == null) {
            releaseQueued();
            ctx.close();
        }
    }

    /** The exchange is over; {@code keepOpen} when the connection can carry the next request. */
    void exchangeFinished(Exchange exchange, boolean keepOpen) {
        if (current != exchange) {
            return;
        }
        current = null;
        pausedByExchange = false;
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
        if (upstreamTimer != null) {
            upstreamTimer.cancel(false);
            upstreamTimer = null;
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
        if (cause instanceof IOException) {
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
        headCtx.channel().close();
    }

    // ---- what an exchange uses

    Channel channel() {
        return ctx.channel();
    }

    LoopResources loop() {
        return loop;
    }

    ProxyContext settings() {
        return proxy;
    }

    ProxyMetrics metrics() {
        return proxy.metrics();
    }

    boolean closing() {
        return proxy.closing();
    }

    /**
     * Makes sure the backend of the current exchange is checked for silence at {@code deadline}
     * ({@link System#nanoTime()} clock). One timer per connection serves every request on it: it is
     * moved only when a request needs an earlier check than the one already due.
     */
    void watchUpstream(long deadline) {
        if (upstreamTimer != null) {
            if (upstreamTimerDeadline <= deadline) {
                return; // an earlier check is due; it re-arms for this deadline
            }
            upstreamTimer.cancel(false);
        }
        upstreamTimerDeadline = deadline;
        upstreamTimer = ctx.executor().schedule(this::checkUpstream, deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    private void checkUpstream() {
        upstreamTimer = null;
        Exchange ex = current;
        if (ex != null) {
            long next = ex.checkUpstreamSilence();
            if (next != 0 && current == ex) {
                watchUpstream(next);
            }
        }
    }

    /** Whether a client read batch is being processed (writes upstream are flushed at its end). */
    boolean inRead() {
        return inRead;
    }

    /** The exchange asks to stop (or resume) reading from the client. */
    void pauseForExchange(boolean pause) {
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
