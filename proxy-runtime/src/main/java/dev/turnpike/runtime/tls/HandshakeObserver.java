package dev.turnpike.runtime.tls;

import dev.turnpike.api.TlsInfo;
import dev.turnpike.runtime.metrics.TlsMetrics;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits behind a client connection's TLS handler until the handshake ends: counts it, keeps what it
 * settled on the channel ({@link #INFO}, which {@code Session.tls()} shows to plugins), and leaves
 * the pipeline. A failed handshake is counted by reason; the TLS handler closes the connection.
 * Some ends come as no handshake event: a client silent past the timeout before its hello (the SNI
 * handler's timer), a hello that is not TLS, a client that leaves; those are counted from the
 * exception or the close, once per connection. Shared by all connections of a listener.
 */
@ChannelHandler.Sharable
public final class HandshakeObserver extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(HandshakeObserver.class);

    /** What the connection's handshake settled; set before the first request is read. */
    public static final AttributeKey<TlsInfo> INFO = AttributeKey.valueOf("turnpike.tls.info");
    private static final AttributeKey<Long> STARTED = AttributeKey.valueOf("turnpike.tls.started");

    private final TlsMetrics metrics;

    public HandshakeObserver(TlsMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.channel().attr(STARTED).set(System.nanoTime());
        ctx.fireChannelActive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (ctx.channel().attr(STARTED).getAndSet(null) != null) {
            failed(ctx, cause);
        }
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (ctx.channel().attr(STARTED).getAndSet(null) != null) {
            metrics.handshakeFailed("downstream", TlsFailure.CLOSED.label());
        }
        ctx.fireChannelInactive();
    }

    private void failed(ChannelHandlerContext ctx, Throwable cause) {
        TlsFailure reason = TlsFailure.of(cause);
        metrics.handshakeFailed("downstream", reason.label());
        log.debug("TLS handshake with client {} failed ({}): {}", ctx.channel().remoteAddress(), reason.label(), cause.toString());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        // The hello never came in time, or could not be read: the SNI handler says so and closes.
        if (evt instanceof SniCompletionEvent sni && !sni.isSuccess()
                && ctx.channel().attr(STARTED).getAndSet(null) != null) {
            failed(ctx, sni.cause());
        }
        if (evt instanceof SslHandshakeCompletionEvent done) {
            Long started = ctx.channel().attr(STARTED).getAndSet(null);
            if (started == null) {
                ctx.pipeline().remove(this);
                ctx.fireUserEventTriggered(evt);
                return; // already counted from an exception
            }
            long took = System.nanoTime() - started;
            if (done.isSuccess()) {
                SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                SSLSession session = ssl.engine().getSession();
                TlsInfo info = info(session, ctx.channel().attr(SniSelector.SERVER_NAME).get());
                ctx.channel().attr(INFO).set(info);
                metrics.handshakeSucceeded("downstream", took, info.protocol(), info.cipher());
            } else {
                failed(ctx, done.cause());
            }
            ctx.pipeline().remove(this);
        }
        ctx.fireUserEventTriggered(evt);
    }

    static TlsInfo info(SSLSession session, String serverName) {
        String subject = null;
        List<String> sans = List.of();
        try {
            Certificate[] peer = session.getPeerCertificates();
            if (peer.length > 0 && peer[0] instanceof X509Certificate leaf) {
                subject = leaf.getSubjectX500Principal().getName();
                sans = sans(leaf);
            }
        } catch (SSLPeerUnverifiedException noClientCertificate) {
            // the common case: the listener did not ask, or the client (with client_auth optional) sent none
        }
        return new TlsInfo(session.getProtocol(), session.getCipherSuite(), serverName, subject, sans);
    }

    private static List<String> sans(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> all = cert.getSubjectAlternativeNames();
            if (all != null) {
                for (List<?> san : all) {
                    if (san.get(1) instanceof String s) {
                        out.add(s);
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // a name the JDK cannot read is left out; the subject is still there
        }
        return out;
    }
}
