package dev.turnpike.runtime.l4;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * Holds what a tcp client's channel reads before its tunnel is in place, and hands it on when it is
 * removed (the tunnel removes it after adding its own end, so the held bytes go to the backend
 * first, in order).
 *
 * <p>Why there is anything to hold: the channel does not read until then, but a client that sends
 * and half-closes at once (a request and FIN in one go) makes epoll drain the socket to see the end
 * of input, auto-read or not. Without a handler those bytes would reach the pipeline's tail and be
 * dropped. What can arrive this way is bounded by the socket's receive buffer: the client cannot
 * send its FIN past a window that nobody reads. The end of input itself is not passed on: the
 * tunnel sees it on the socket when it starts.
 */
final class HeldBytes extends ChannelInboundHandlerAdapter {

    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b && b.isReadable()) {
            held.add(b);
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
