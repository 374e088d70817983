package dev.turnpike.runtime.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;

/**
 * The first handler of a TLS client connection: reads the client hello, picks the certificate by its
 * SNI name ({@link ServerTls#map}), and replaces itself with the {@link SslHandler} of that
 * context. It keeps the name on the channel (the SslHandler does not), for {@link HandshakeObserver}.
 * The handshake timeout runs from the connection's start through the hello to the end of the
 * handshake.
 */
public final class SniSelector extends SniHandler {

    /** The SNI name the client sent (lower-case), absent when it sent none. */
    static final AttributeKey<String> SERVER_NAME = AttributeKey.valueOf("turnpike.tls.sni");

    private final long handshakeTimeoutMillis;

    public SniSelector(ServerTls certificates, long handshakeTimeoutMillis) {
        super(certificates, handshakeTimeoutMillis);
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    }

    @Override
    protected void replaceHandler(ChannelHandlerContext ctx, String hostname, SslContext sslContext) throws Exception {
        if (hostname != null) {
            ctx.channel().attr(SERVER_NAME).set(hostname);
        }
        super.replaceHandler(ctx, hostname, sslContext);
    }

    @Override
    protected SslHandler newSslHandler(SslContext context, ByteBufAllocator allocator) {
        SslHandler handler = super.newSslHandler(context, allocator);
        handler.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
        return handler;
    }
}
