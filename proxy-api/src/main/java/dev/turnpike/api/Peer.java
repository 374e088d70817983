package dev.turnpike.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * An upstream server a request can go to: address, transport, and the timeouts that apply to it.
 * Immutable and thread-safe. Create peers once (when the plugin starts) and return the same
 * instances per request: the runtime keys its connection pools on them ({@link #equals} compares
 * everything that makes two connections different: host, port and every TLS setting; not the
 * timeouts), and a peer built per request costs an allocation and a hash.
 *
 * <p>A timeout left unset ({@code null}) takes the value of {@code upstream.*} in the runtime
 * configuration.
 *
 * <p><b>TLS.</b> With {@link Builder#tls tls(true)} the runtime opens the connection with a TLS
 * handshake before anything of the request goes out. By default it sends the host as SNI when the
 * host is a name (not an IP literal), verifies the backend's chain against the system's trust store
 * and verifies that the certificate names the SNI name (or the host). A failed handshake is a
 * connect failure of kind {@link ErrorKind#TLS}: retryable like a refused connection. The files
 * ({@link Builder#ca}, {@link Builder#clientCertificate}) are read when the runtime first connects
 * to a peer that names them; a file it cannot use fails that connection (kind {@code TLS}) with
 * the file and the reason.
 */
public final class Peer {

    private final String host;
    private final int port;
    private final boolean tls;
    private final String sni;
    private final boolean verify;
    private final boolean verifyHostname;
    private final Path ca;
    private final Path clientCertificate;
    private final Path clientKey;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final String group;
    private final String address;
    private final int hash;

    private Peer(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.tls = b.tls;
        this.sni = b.sni;
        this.verify = b.verify;
        this.verifyHostname = b.verifyHostname;
        this.ca = b.ca;
        this.clientCertificate = b.clientCertificate;
        this.clientKey = b.clientKey;
        this.connectTimeout = b.connectTimeout;
        this.readTimeout = b.readTimeout;
        this.group = b.group;
        this.address = host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
        this.hash = Objects.hash(host, port, tls, sni, verify, verifyHostname, ca, clientCertificate, clientKey);
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
        b.verify = verify;
        b.verifyHostname = verifyHostname;
        b.ca = ca;
        b.clientCertificate = clientCertificate;
        b.clientKey = clientKey;
        b.connectTimeout = connectTimeout;
        b.readTimeout = readTimeout;
        b.group = group;
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

    /**
     * The TLS server name to send and to verify the certificate against, as set; {@code null}: the
     * host when it is a name. See {@link #serverName()} for the name in force.
     */
    public String sni() {
        return sni;
    }

    /**
     * The server name the runtime sends (SNI) and verifies: {@link #sni()} when set, else the host
     * when it is a name; {@code null} for an IP literal without {@code sni} (no SNI is sent, and the
     * certificate must name the IP address).
     */
    public String serverName() {
        if (sni != null) {
            return sni;
        }
        return isIpLiteral(host) ? null : host;
    }

    /** Whether the backend's certificate chain is verified (default: yes). */
    public boolean verify() {
        return verify;
    }

    /** Whether the certificate must name {@link #serverName()} (or the IP address); default yes, and only with {@link #verify()}. */
    public boolean verifyHostname() {
        return verifyHostname;
    }

    /** The PEM file of CA certificates that the backend's chain is verified against; {@code null}: the system trust store. */
    public Path ca() {
        return ca;
    }

    /** The PEM certificate chain the runtime presents to the backend (mTLS), or {@code null}. */
    public Path clientCertificate() {
        return clientCertificate;
    }

    /** The PKCS#8 PEM key of {@link #clientCertificate()}, or {@code null}. */
    public Path clientKey() {
        return clientKey;
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

    /**
     * The group the choosing plugin put this peer in (a load balancer's group name), or {@code null}.
     * Read by the runtime for its metrics' {@code group} label ({@code metrics.group_label}) and the
     * access log; not part of {@link #equals}: the same server in two groups shares one pool.
     */
    public String group() {
        return group;
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
        return port == p.port && tls == p.tls && host.equals(p.host) && Objects.equals(sni, p.sni)
                && verify == p.verify && verifyHostname == p.verifyHostname && Objects.equals(ca, p.ca)
                && Objects.equals(clientCertificate, p.clientCertificate) && Objects.equals(clientKey, p.clientKey);
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
        private boolean verify = true;
        private boolean verifyHostname = true;
        private Path ca;
        private Path clientCertificate;
        private Path clientKey;
        private Duration connectTimeout;
        private Duration readTimeout;
        private String group;

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

        /** The name to send as SNI and to verify against; {@code null}: the host when it is a name. */
        public Builder sni(String sni) {
            if (sni != null) {
                // A fully qualified name's final dot is not part of a server name (RFC 6066 §3).
                String name = sni.endsWith(".") ? sni.substring(0, sni.length() - 1) : sni;
                // ASCII only: an internationalized name is written in its xn-- form, as it is sent.
                if (name.isEmpty() || isIpLiteral(name) || name.chars().anyMatch(c -> c <= 32 || c >= 127)) {
                    throw new IllegalArgumentException("sni must be a host name, got '" + sni + "'");
                }
                try {
                    new javax.net.ssl.SNIHostName(name); // the JDK's rule, which both TLS providers are given
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("sni must be a host name, got '" + sni + "': " + e.getMessage());
                }
                sni = name;
            }
            this.sni = sni;
            return this;
        }

        /** Whether to verify the backend's certificate chain (default true). Off only for tests and trusted links. */
        public Builder verify(boolean verify) {
            this.verify = verify;
            return this;
        }

        /** Whether the certificate must name the server name or IP (default true). */
        public Builder verifyHostname(boolean verifyHostname) {
            this.verifyHostname = verifyHostname;
            return this;
        }

        /** A PEM file of the CA certificates to trust instead of the system's; {@code null}: the system's. */
        public Builder ca(Path ca) {
            this.ca = ca;
            return this;
        }

        /** The certificate chain and PKCS#8 key to present to the backend (mTLS); both or neither. */
        public Builder clientCertificate(Path certificate, Path key) {
            if ((certificate == null) != (key == null)) {
                throw new IllegalArgumentException("a client certificate needs its key, and a key its certificate");
            }
            this.clientCertificate = certificate;
            this.clientKey = key;
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

        /** The group this peer belongs to, for metrics and the access log ({@link Peer#group}); null for none. */
        public Builder group(String group) {
            this.group = group == null || group.isEmpty() ? null : group;
            return this;
        }

        private static Duration positive(Duration d, String what) {
            if (d != null && (d.isZero() || d.isNegative())) {
                throw new IllegalArgumentException(what + " must be positive, not " + d);
            }
            return d;
        }

        /**
         * @throws IllegalArgumentException when a TLS setting is given for a peer without TLS
         */
        public Peer build() {
            if (!tls && (sni != null || ca != null || clientCertificate != null || !verify || !verifyHostname)) {
                throw new IllegalArgumentException("sni, verify, ca and client certificates need tls(true)");
            }
            return new Peer(this);
        }
    }

    static boolean isIpLiteral(String host) {
        return host.indexOf(':') >= 0 || host.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
    }
}
