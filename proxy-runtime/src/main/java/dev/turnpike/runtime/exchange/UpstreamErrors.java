package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.runtime.tls.TlsFailure;
import dev.turnpike.runtime.tls.TlsSetupException;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import javax.net.ssl.SSLException;

/**
 * Turns what Netty reports about an upstream connection into a {@link ProxyError}: the kind, and
 * a sentence in the proxy's words. The exception text stays in {@link ProxyError#cause()}.
 */
public final class UpstreamErrors {

    private UpstreamErrors() {
    }

    /** Opening the connection failed. */
    public static ProxyError connectFailed(Peer peer, Throwable cause) {
        if (has(cause, ConnectTimeoutException.class)) {
            return ProxyError.of(ErrorKind.CONNECT_TIMEOUT, "connecting to backend " + peer.address() + " timed out", cause);
        }
        if (has(cause, UnknownHostException.class) || has(cause, UnresolvedAddressException.class)) {
            return ProxyError.of(ErrorKind.UNRESOLVABLE, "backend host " + peer.host() + " could not be resolved", cause);
        }
        if (has(cause, TlsSetupException.class)) {
            // The proxy's own file (ca, client certificate) is at fault, not the backend: no
            // backend is blamed, and passive health counts nothing.
            return ProxyError.of(ErrorKind.INTERNAL, "TLS to backend " + peer.address() + " cannot be set up: "
                    + find(cause, TlsSetupException.class).getMessage(), cause);
        }
        if (has(cause, SSLException.class) && TlsFailure.of(cause) == TlsFailure.TIMEOUT) {
            // A backend too slow to finish its handshake is a slow backend (504), like one slow to accept.
            return ProxyError.of(ErrorKind.CONNECT_TIMEOUT, "TLS handshake with backend " + peer.address() + " timed out", cause);
        }
        if (has(cause, SSLException.class)) {
            // The reason goes in the message: it is what the operator acts on (the CA, the name, the date).
            return ProxyError.of(ErrorKind.TLS, "TLS handshake with backend " + peer.address() + " failed: "
                    + TlsFailure.of(cause).words(), cause);
        }
        String how = has(cause, NoRouteToHostException.class) ? "is unreachable" : has(cause, ConnectException.class)
                ? "refused the connection" : "could not be connected to";
        return ProxyError.of(ErrorKind.CONNECT_REFUSED, "backend " + peer.address() + " " + how, cause);
    }

    /**
     * Whether a close is a TLS 1.3 backend refusing our certificate (or its absence). It does so
     * after our side of the handshake has ended, so the refusal comes as the first read of a fresh
     * connection: it is the handshake's result, and nothing of the request was processed. Any other
     * TLS error past the handshake keeps its kind: the backend may have acted on the request.
     */
    static boolean refusedAfterHandshake(Throwable cause, String protocol, boolean freshAndNothingRead) {
        return freshAndNothingRead && has(cause, SSLException.class) && TlsFailure.refusedAfterHandshake(protocol, cause);
    }

    /** The connection closed, or broke, before the response was complete. */
    static ProxyError closed(Peer peer, Throwable cause, boolean responseStarted) {
        if (has(cause, SSLException.class)) {
            // Past the handshake a broken TLS stream is a broken connection: the backend may have
            // acted on what it read, so it is no connect-time kind (which any method may retry).
            return ProxyError.of(ErrorKind.UPSTREAM_RESET, "TLS with backend " + peer.address() + " failed"
                    + (responseStarted ? " in the middle of its response: " : " before its response: ")
                    + TlsFailure.of(cause).words(), cause);
        }
        if (has(cause, DecoderException.class)) {
            return invalid(peer, cause);
        }
        String what = has(cause, IOException.class) ? "reset the connection" : "closed the connection";
        return ProxyError.of(ErrorKind.UPSTREAM_RESET, "backend " + peer.address() + " " + what
                + (responseStarted ? " in the middle of its response" : " before its response"), cause);
    }

    static ProxyError invalid(Peer peer, Throwable cause) {
        // Only the decoder's own words go in the message (it reaches the access log's reason); any
        // other exception's text stays with the cause, for the error log.
        Throwable rule = find(cause, dev.turnpike.runtime.wire.WireViolation.class);
        return ProxyError.of(ErrorKind.INVALID_RESPONSE, "backend " + peer.address() + " sent an invalid response"
                + (rule != null && rule.getMessage() != null ? " (" + rule.getMessage() + ")" : ""), cause);
    }

    private static boolean has(Throwable t, Class<? extends Throwable> type) {
        return find(t, type) != null;
    }

    private static Throwable find(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return c;
            }
        }
        return null;
    }
}
