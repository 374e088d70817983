package dev.turnpike.plugins.headerinjection;

import dev.turnpike.api.Peer;
import dev.turnpike.api.Session;

/**
 * The variables a configured header value may use. Each reads what it needs from the session, or
 * from the values the plugin resolved once for the request ({@code clientIp}, {@code host}).
 */
enum Variable {

    /** The client as {@link dev.turnpike.api.net.TrustedProxies} resolves it. */
    CLIENT_IP("client_ip"),
    /** The chosen peer, {@code host:port} ({@code [v6]:port}). */
    BACKEND("backend"),
    /** The runtime's id for this request. */
    REQUEST_ID("request_id"),
    /** The Host header the client sent; empty when it sent none. */
    HOST("host"),
    /** {@code https} when the client connection is TLS, else {@code http}. */
    SCHEME("scheme"),
    /** The client connection's TLS version ({@code TLSv1.3}); empty for cleartext. */
    TLS_PROTOCOL("tls_protocol"),
    /** The client connection's cipher suite; empty for cleartext. */
    TLS_CIPHER("tls_cipher"),
    /** The SNI name the client asked for; empty when it sent none (or for cleartext). */
    TLS_SERVER_NAME("tls_server_name"),
    /** The subject of the client's certificate (RFC 2253, nginx's {@code $ssl_client_s_dn}); empty without one. */
    TLS_CLIENT_SUBJECT("tls_client_subject");

    private static final Variable[] ALL = values();

    private final String configName;
    private final int bit;

    Variable(String configName) {
        this.configName = configName;
        this.bit = 1 << ordinal();
    }

    /** The name as written after {@code $}. */
    String configName() {
        return configName;
    }

    /** This variable's bit in a "needs" mask. */
    int bit() {
        return bit;
    }

    /** The variable called {@code name}, or {@code null}. */
    static Variable byName(String name) {
        for (Variable v : ALL) {
            if (v.configName.equals(name)) {
                return v;
            }
        }
        return null;
    }

    /** {@code $client_ip, $backend, ...} for error messages. */
    static String known() {
        StringBuilder b = new StringBuilder();
        for (Variable v : ALL) {
            if (b.length() > 0) {
                b.append(", ");
            }
            b.append('$').append(v.configName);
        }
        return b.toString();
    }

    /**
     * This variable's value for a request; never {@code null}.
     *
     * @param clientIp the resolved client address (only read by {@link #CLIENT_IP})
     * @param host     the client's Host header or {@code null} (only read by {@link #HOST})
     */
    String value(Session session, String clientIp, String host) {
        switch (this) {
            case CLIENT_IP:
                return clientIp != null ? clientIp : "";
            case BACKEND:
                Peer peer = session.peer();
                return peer != null ? peer.address() : "";
            case REQUEST_ID:
                return session.requestId();
            case HOST:
                return host != null ? host : "";
            case SCHEME:
                return session.isTls() ? "https" : "http";
            case TLS_PROTOCOL:
                return session.tls() != null ? session.tls().protocol() : "";
            case TLS_CIPHER:
                return session.tls() != null ? session.tls().cipher() : "";
            case TLS_SERVER_NAME:
                return session.tls() != null && session.tls().serverName() != null ? session.tls().serverName() : "";
            case TLS_CLIENT_SUBJECT:
                return session.tls() != null && session.tls().clientSubject() != null ? session.tls().clientSubject() : "";
            default:
                throw new AssertionError(this);
        }
    }
}
