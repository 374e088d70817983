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
    private final long startNanos = System.nanoTime();

    public SniSelector(ServerTls certificates, long handshakeTimeoutMillis) {
        super(certificates, handshakeTimeoutMillis);
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    }

    @Override
    protected void replaceHandler(ChannelHandlerContext ctx, String hostname, SslContext sslContext) throws Exception {
        // Plugins are told this is the name the client asked for: only a host name is one (BoringSSL
        // lets any bytes but NUL through, CR and LF included).
        if (hostname != null && isHostName(hostname)) {
            ctx.channel().attr(SERVER_NAME).set(hostname);
        }
        super.replaceHandler(ctx, hostname, sslContext);
    }

    @Override
    protected SslHandler newSslHandler(SslContext context, ByteBufAllocator allocator) {
        SslHandler handler = super.newSslHandler(context, allocator);
        // What is left of the timeout: it runs from the connection's start, the hello included.
        long left = handshakeTimeoutMillis - (System.nanoTime() - startNanos) / 1_000_000;
        handler.setHandshakeTimeoutMillis(Math.max(1, left));
        return handler;
    }

    /** Letters, digits, hyphens and underscores in dot-separated labels of 1..63, 253 at most. */
    static boolean isHostName(String s) {
        if (s.isEmpty() || s.length() > 253) {
            return false;
        }
        int label = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '.') {
                if (label == 0) {
                    return false;
                }
                label = 0;
            } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
                if (++label > 63) {
                    return false;
                }
            } else {
                return false;
            }
        }
        return label > 0;
    }
}
