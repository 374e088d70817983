package dev.turnpike.runtime.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Sits before the HTTP decoder and gives a client {@code server.request_header_timeout} from the
 * first byte of a request head to the end of it, so a client that trickles a head (slowloris)
 * cannot hold a connection forever. One timer per connection, re-armed only when it fires, so an
 * ordinary request costs a {@code nanoTime()} and no scheduling.
 */
final class HeadTimeout extends ChannelInboundHandlerAdapter {

    private final long timeoutNanos;
    private final Consumer<ChannelHandlerContext> onTimeout;
    private ChannelHandlerContext ctx;
    private boolean awaitingHead = true;
    private long headStartNanos;
    /** Bytes read since the current head began: what an access line for a head that never ended reports. */
    private int headBytes;
    private ScheduledFuture<?> timer;

    HeadTimeout(long timeoutNanos, Consumer<ChannelHandlerContext> onTimeout) {
        this.timeoutNanos = timeoutNanos;
        this.onTimeout = onTimeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (awaitingHead && msg instanceof ByteBuf b) {
            headBytes += b.readableBytes();
        }
        if (awaitingHead && headStartNanos == 0 && msg instanceof ByteBuf && ((ByteBuf) msg).isReadable()) {
            headStartNanos = System.nanoTime();
            if (timer == null) {
                timer = ctx.executor().schedule(this::check, timeoutNanos, TimeUnit.NANOSECONDS);
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** The head of the current request has been decoded. */
    void headReceived() {
        awaitingHead = false;
        headStartNanos = 0;
        headBytes = 0;
    }

    /** When the head that timed out began ({@link System#nanoTime}). */
    long headStartNanos() {
        return headStartNanos;
    }

    /** Bytes of the head that timed out. */
    int headBytes() {
        return headBytes;
    }

    long timeoutNanos() {
        return timeoutNanos;
    }

    /** The current request's body is complete: the next bytes start a new head. */
    void awaitHead() {
        awaitingHead = true;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        ctx.fireChannelInactive();
    }

    private void check() {
        timer = null;
        if (!ctx.channel().isActive() || !awaitingHead || headStartNanos == 0) {
            return;
        }
        long waited = System.nanoTime() - headStartNanos;
        if (waited >= timeoutNanos) {
            onTimeout.accept(ctx);
        } else {
            timer = ctx.executor().schedule(this::check, timeoutNanos - waited, TimeUnit.NANOSECONDS);
        }
    }
}
