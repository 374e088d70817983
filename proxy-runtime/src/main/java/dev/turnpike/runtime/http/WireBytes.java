package dev.turnpike.runtime.http;

import dev.turnpike.runtime.metrics.ProxyMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Counts the bytes a client connection moves, at the socket end of the pipeline (what the wire
 * carries, heads and chunk framing included). Stateless, so one instance serves every connection.
 */
@Sharable
final class WireBytes extends ChannelDuplexHandler {

    private final ProxyMetrics metrics;

    WireBytes(ProxyMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        metrics.connectionOpened();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        metrics.connectionClosed();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf) {
            metrics.bytesReceived(((ByteBuf) msg).readableBytes());
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf) {
            metrics.bytesSent(((ByteBuf) msg).readableBytes());
        }
        ctx.write(msg, promise);
    }
}
