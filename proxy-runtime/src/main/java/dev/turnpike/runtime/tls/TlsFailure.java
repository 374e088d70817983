package dev.turnpike.runtime.tls;

import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;

/**
 * Why a handshake failed, as one of a closed set of reasons: the label of
 * {@code turnpike_tls_handshakes_total} and the words of the error a client or the log sees. Read off
 * the exception chain, whose types the JDK's trust managers raise for both providers (Netty hands
 * OpenSSL's verification to them), with the alert text as the fallback.
 */
public enum TlsFailure {
    /** The peer's chain does not lead to a trusted CA. */
    UNKNOWN_CA("unknown_ca", "certificate not signed by a trusted CA"),
    /** The certificate does not name the host (or SNI name) connected to. */
    BAD_NAME("bad_name", "certificate does not match the server name"),
    EXPIRED("expired", "certificate expired"),
    NOT_YET_VALID("not_yet_valid", "certificate not yet valid"),
    /** A certificate was required of the peer, and it sent none. */
    NO_CERTIFICATE("no_certificate", "no certificate presented where one is required"),
    /** The peer refused ours, or sent one that could not be used. */
    BAD_CERTIFICATE("bad_certificate", "certificate refused"),
    /** No protocol version or cipher suite in common, or not TLS at all. */
    PROTOCOL("protocol", "no protocol version or cipher in common"),
    TIMEOUT("timeout", "handshake timed out"),
    CLOSED("closed", "connection closed during the handshake"),
    OTHER("other", "handshake failed");

    private final String label;
    private final String words;

    TlsFailure(String label, String words) {
        this.label = label;
        this.words = words;
    }

    /** The metric label: {@code unknown_ca}. */
    public String label() {
        return label;
    }

    /** For messages: {@code certificate expired}. */
    public String words() {
        return words;
    }

    /**
     * Whether a TLS error on a fresh connection's first read is a TLS 1.3 backend refusing the
     * proxy's certificate: the only failure of the handshake that can come after our side of it.
     */
    public static boolean refusedAfterHandshake(String protocol, Throwable failure) {
        if (!"TLSv1.3".equals(protocol)) {
            return false;
        }
        TlsFailure f = of(failure);
        return f == BAD_CERTIFICATE || f == NO_CERTIFICATE || f == UNKNOWN_CA || f == EXPIRED || f == NOT_YET_VALID;
    }

    public static TlsFailure of(Throwable failure) {
        // The whole chain first: the most specific cause sits deepest (a validator's exception
        // wraps the CertificateNotYetValidException that says why), and a chain may loop.
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        StringBuilder text = new StringBuilder();
        Throwable validator = null;
        boolean closed = false;
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof SslHandshakeTimeoutException) {
                return TIMEOUT;
            }
            if (t instanceof CertificateExpiredException) {
                return EXPIRED;
            }
            if (t instanceof CertificateNotYetValidException) {
                return NOT_YET_VALID;
            }
            if (validator == null && (t instanceof CertPathBuilderException || t instanceof CertPathValidatorException)) {
                validator = t;
            }
            closed |= t instanceof ClosedChannelException;
            if (t.getMessage() != null) {
                text.append(' ').append(t.getMessage().toLowerCase(Locale.ROOT));
            }
        }
        if (validator != null) {
            return fromValidator(validator);
        }
        return closed ? CLOSED : fromText(text.toString());
    }

    private static TlsFailure fromValidator(Throwable t) {
        String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
        if (m.contains("validity check failed") || m.contains("expired")) {
            return EXPIRED;
        }
        return UNKNOWN_CA;
    }

    /** The alerts and messages both providers use, for the failures that carry no typed cause. */
    private static TlsFailure fromText(String m) {
        if (m.contains("no subject alternative") || m.contains("no name matching") || m.contains("hostname")
                || m.contains("doesn't match") || m.contains("does not match")) {
            return BAD_NAME;
        }
        if (m.contains("unknown_ca") || m.contains("unknown ca") || m.contains("pkix path") || m.contains("unable to find valid certification")
                || m.contains("certificate_unknown") || m.contains("certificate verify failed") || m.contains("self signed")
                || m.contains("self-signed")) {
            return UNKNOWN_CA;
        }
        if (m.contains("certificate_expired") || m.contains("expired")) {
            return EXPIRED;
        }
        if (m.contains("certificate_required") || m.contains("peer sent no certificate") || m.contains("empty client certificate")
                || m.contains("peer_did_not_return_a_certificate") || m.contains("empty server certificate")) {
            return NO_CERTIFICATE;
        }
        if (m.contains("bad_certificate") || m.contains("bad certificate") || m.contains("unsupported_certificate")
                || m.contains("certificate_revoked")) {
            return BAD_CERTIFICATE;
        }
        if (m.contains("protocol") || m.contains("no cipher") || m.contains("no_shared_cipher") || m.contains("handshake_failure")
                || m.contains("not an ssl/tls record") || m.contains("wrong_version") || m.contains("unsupported")) {
            return PROTOCOL;
        }
        if (m.contains("closed") || m.contains("connection reset") || m.contains("broken pipe")) {
            return CLOSED;
        }
        return OTHER;
    }
}
