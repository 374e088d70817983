package dev.turnpike.runtime.l4;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * Holds what a channel reads before its tunnel is in place, and hands it on when it is removed (the
 * tunnel removes it after adding its own end, so the held bytes go to the other side first, in
 * order).
 *
 * <p>Why a tcp client's channel reads at all before the relay: to see the client leave. NIO only
 * reports a reset or a close to a channel that is reading, so a client that gave up while its
 * phases ran or its backend was being connected would otherwise be noticed only when the relay
 * starts (or its connect times out). It reads up to {@value #LIMIT} bytes, then stops until the
 * relay takes over: a client cannot make the proxy hold more than that. The end of input itself is
 * not passed on: the tunnel sees it on the socket when it starts.
 */
final class HeldBytes extends ChannelInboundHandlerAdapter {

    /** Bytes held at most before reading stops until the relay starts. */
    static final int LIMIT = 64 * 1024;

    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
    private int bytes;

    /** Reads from now on (up to {@link #LIMIT}), so that the peer's reset or close is seen. */
    void watch(ChannelHandlerContext ctx) {
        if (bytes < LIMIT) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b && b.isReadable()) {
            held.add(b);
            bytes += b.readableBytes();
            if (bytes >= LIMIT) {
                ctx.channel().config().setAutoRead(false);
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!(evt instanceof ChannelInputShutdownEvent)) {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a reset before the relay: the connection's close tells the rest
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseAll();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (held.isEmpty()) {
            return;
        }
        if (!ctx.channel().isActive()) {
            releaseAll();
            return;
        }
        ByteBuf b;
        while ((b = held.poll()) != null) {
            ctx.fireChannelRead(b);
        }
        ctx.fireChannelReadComplete();
    }

    private void releaseAll() {
        ByteBuf b;
        while ((b = held.poll()) != null) {
            b.release();
        }
    }
}
