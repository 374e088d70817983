package dev.turnpike.runtime.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;

/**
 * One end of a {@link Tunnel}: what this channel reads is written to the other end, as it comes.
 * Backpressure runs both ways: when the other end cannot take more, this end stops reading until it
 * can. End of input here (a half-close) becomes end of output there. Confined to the event loop
 * both channels share.
 */
final class TunnelSide extends ChannelInboundHandlerAdapter {

    private final Tunnel tunnel;
    /** Whether this end is the client's (its bytes go upstream). */
    private final boolean client;
    private TunnelSide other;
    private ChannelHandlerContext ctx;
    private long bytes;
    private long unreported;
    private boolean flushPending;
    private boolean inputEnded;

    TunnelSide(Tunnel tunnel, boolean client) {
        this.tunnel = tunnel;
        this.client = client;
    }

    void pair(TunnelSide other) {
        this.other = other;
    }

    Channel channel() {
        return ctx.channel();
    }

    /** Bytes read on this end (and written to the other). */
    long bytes() {
        return bytes;
    }

    boolean inputEnded() {
        return inputEnded;
    }

    /** At the tunnel's start: the peer may have half-closed while the switch was being decided. */
    void endedBefore() {
        if (!inputEnded && ctx.channel() instanceof io.netty.channel.socket.DuplexChannel d && d.isInputShutdown()) {
            inputEnded = true;
            tunnel.inputEnded(this, other);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf data)) {
            ReferenceCountUtil.release(msg); // nothing but bytes cross a tunnel
            return;
        }
        int n = data.readableBytes();
        if (n == 0 || !other.channel().isActive()) {
            data.release();
            return;
        }
        bytes += n;
        unreported += n;
        other.channel().write(data, other.channel().voidPromise());
        flushPending = true;
        if (!other.channel().isWritable()) {
            ctx.channel().config().setAutoRead(false); // until the other end drains
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (flushPending) {
            flushPending = false;
            other.channel().flush();
        }
        tunnel.relayed(client, unreported);
        unreported = 0;
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && !other.inputEnded) {
            other.channel().config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputEnded = true;
            tunnel.inputEnded(this, other);
            return;
        }
        if (evt instanceof IdleStateEvent) {
            tunnel.idle();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        tunnel.closed(this, other);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        tunnel.broken(this, cause instanceof IOException ? null : cause);
    }

    /** Flushes whatever was written to this end, then runs {@code then}. */
    void flushThen(Runnable then) {
        ctx.channel().writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(f -> then.run());
    }
}
