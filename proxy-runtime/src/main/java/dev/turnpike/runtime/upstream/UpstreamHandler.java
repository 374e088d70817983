package dev.turnpike.runtime.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an upstream connection: hands what the backend sends to the exchange holding
 * the connection, or, while the connection sits in the pool, closes it on anything unexpected
 * (data with no request, an idle timeout, an error) so a broken connection is never handed out.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(UpstreamHandler.class);

    private final PooledConnection connection;
    private UpstreamListener listener;
    private Throwable failure;

    UpstreamHandler(PooledConnection connection) {
        this.connection = connection;
    }

    void attach(UpstreamListener listener) {
        this.listener = listener;
    }

    void detach() {
        this.listener = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamListener l = listener;
        if (failure != null) {
            // The connection broke (a reset): the decoder may still end a close-delimited body as if
            // the close were clean. Nothing more from it is trusted; channelInactive reports the failure.
            ReferenceCountUtil.release(msg);
            return;
        }
        if (l != null && msg instanceof HttpObject) {
            l.onUpstreamRead((HttpObject) msg);
        } else {
            // A backend that talks while no request is outstanding cannot be trusted with the next one.
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamListener l = listener;
        if (l != null) {
            l.onUpstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        UpstreamListener l = listener;
        if (l != null) {
            l.onUpstreamWritabilityChanged(ctx.channel().isWritable());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        UpstreamListener l = listener;
        listener = null;
        connection.closed();
        if (l != null) {
            l.onUpstreamClosed(failure);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (listener == null) {
                ctx.close(); // idle in the pool for longer than upstream.idle_timeout
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are ordinary here; the exchange hears of them through channelInactive.
        log.debug("upstream {} failed", ctx.channel().remoteAddress(), cause);
        if (failure == null) {
            failure = cause;
        }
        ctx.close();
    }
}
