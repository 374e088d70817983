package dev.turnpike.api;

import java.time.Duration;
import java.util.Objects;

/**
 * An upstream server a request can go to: address, transport, and the timeouts that apply to it.
 * Immutable and thread-safe. Create peers once (when the plugin starts) and return the same
 * instances per request: the runtime keys its connection pools on them ({@link #equals} compares
 * host, port, TLS and SNI), and a peer built per request costs an allocation and a hash.
 *
 * <p>A timeout left unset ({@code null}) takes the value of {@code upstream.*} in the runtime
 * configuration.
 */
public final class Peer {

    private final String host;
    private final int port;
    private final boolean tls;
    private final String sni;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final String address;
    private final int hash;

    private Peer(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.tls = b.tls;
        this.sni = b.sni;
        this.connectTimeout = b.connectTimeout;
        this.readTimeout = b.readTimeout;
        this.address = host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
        this.hash = Objects.hash(host, port, tls, sni);
    }

    /** A plain-HTTP peer with the configured default timeouts. */
    public static Peer of(String host, int port) {
        return builder(host, port).build();
    }

    /**
     * Parses {@code host:port} ({@code [v6]:port} for IPv6 literals).
     *
     * @throws IllegalArgumentException naming what is wrong with the text
     */
    public static Peer parse(String hostPort) {
        HostPort hp = HostPort.parse(hostPort);
        return of(hp.host(), hp.port());
    }

    public static Builder builder(String host, int port) {
        return new Builder(host, port);
    }

    /** A builder that starts from this peer's settings. */
    public Builder toBuilder() {
        Builder b = new Builder(host, port);
        b.tls = tls;
        b.sni = sni;
        b.connectTimeout = connectTimeout;
        b.readTimeout = readTimeout;
        return b;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** Whether the runtime speaks TLS to this peer. */
    public boolean tls() {
        return tls;
    }

    /** The TLS server name to send (and verify), or {@code null} for {@link #host()}. */
    public String sni() {
        return sni;
    }

    /** How long connecting may take before the attempt fails (502); {@code null}: the default. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * How long the peer may stay silent while the runtime waits for its response (the time between
     * two reads, not the whole response) before the request fails with 504; {@code null}: the
     * default.
     */
    public Duration readTimeout() {
        return readTimeout;
    }

    /** {@code host:port}, as logged and as sent in the Host header when the client sent none. */
    public String address() {
        return address;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Peer)) {
            return false;
        }
        Peer p = (Peer) o;
        return port == p.port && tls == p.tls && host.equals(p.host) && Objects.equals(sni, p.sni);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return (tls ? "https://" : "http://") + address;
    }

    /** Builds a {@link Peer}; not thread-safe. */
    public static final class Builder {
        private final String host;
        private final int port;
        private boolean tls;
        private String sni;
        private Duration connectTimeout;
        private Duration readTimeout;

        private Builder(String host, int port) {
            Objects.requireNonNull(host, "host");
            if (host.isEmpty()) {
                throw new IllegalArgumentException("empty host");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is outside 1..65535");
            }
            this.host = host;
            this.port = port;
        }

        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        public Builder sni(String sni) {
            this.sni = sni;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connect timeout");
            return this;
        }

        public Builder readTimeout(Duration timeout) {
            this.readTimeout = positive(timeout, "read timeout");
            return this;
        }

        private static Duration positive(Duration d, String what) {
            if (d != null && (d.isZero() || d.isNegative())) {
                throw new IllegalArgumentException(what + " must be positive, not " + d);
            }
            return d;
        }

        public Peer build() {
            return new Peer(this);
        }
    }
}
