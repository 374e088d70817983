package dev.turnpike.runtime.config;

import dev.turnpike.api.HostPort;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The TLS listener, {@code server.tls:} in the configuration file. Only the shape is checked here;
 * the files are read and checked (pairs match, dates valid) when the proxy prepares, so that
 * {@code --check} refuses what a start would.
 *
 * <p>Relative file names are taken from the proxy's working directory, as {@code make run} starts it
 * from the top of the tree ({@code conf/tls/site.pem}).
 *
 * @param listen             {@code server.tls.listen}: the address of the TLS listener (required)
 * @param certificates       {@code server.tls.certificates}: each a PEM chain and its PKCS#8 key; the
 *                           names a certificate serves come from its subject alternative names
 * @param defaultCertificate {@code server.tls.default_certificate}: the index served when the client
 *                           sends no SNI name, or one no certificate has (default 0)
 * @param protocols          {@code server.tls.protocols}: {@code TLSv1.2} and/or {@code TLSv1.3}
 *                           (default both); older versions are refused
 * @param clientAuth         {@code server.tls.client_auth.mode}: none (default), optional, require
 * @param clientCa           {@code server.tls.client_auth.ca}: the CAs client certificates must chain
 *                           to; required unless the mode is none
 * @param handshakeTimeout   {@code server.tls.handshake_timeout}: how long a client has from
 *                           connecting to the end of its handshake (default 10s)
 */
public record ServerTlsSettings(HostPort listen, List<CertificateFiles> certificates, int defaultCertificate,
                                List<String> protocols, ClientAuthMode clientAuth, Path clientCa, Duration handshakeTimeout) {

    static final List<String> KEYS = List.of("listen", "certificates", "default_certificate", "protocols", "client_auth",
            "handshake_timeout");
    static final List<String> SUPPORTED_PROTOCOLS = List.of("TLSv1.2", "TLSv1.3");

    /** A certificate chain and its key, as named in the file. */
    public record CertificateFiles(Path cert, Path key) {
        public CertificateFiles {
            Objects.requireNonNull(cert, "cert");
            Objects.requireNonNull(key, "key");
        }
    }

    /** Whether the listener asks clients for a certificate. */
    public enum ClientAuthMode { NONE, OPTIONAL, REQUIRE }

    public ServerTlsSettings {
        Objects.requireNonNull(listen, "listen");
        certificates = List.copyOf(certificates);
        protocols = List.copyOf(protocols);
        Objects.requireNonNull(clientAuth, "clientAuth");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
    }

    /** Reads {@code server.tls}; {@code null} when the section is absent. */
    static ServerTlsSettings read(ConfigSection server) {
        if (!server.has("tls")) {
            return null;
        }
        ConfigSection s = server.section("tls");
        if (!s.has("listen")) {
            throw s.invalid("listen", "required: the address of the TLS listener (host:port)");
        }
        HostPort listen;
        try {
            listen = HostPort.parse(s.string("listen"));
        } catch (IllegalArgumentException e) {
            throw s.invalid("listen", e.getMessage());
        }
        List<CertificateFiles> certificates = new ArrayList<>();
        for (ConfigSection c : s.sections("certificates")) {
            certificates.add(new CertificateFiles(path(c, "cert"), path(c, "key")));
        }
        if (certificates.isEmpty()) {
            throw s.invalid("certificates", "required: a list of { cert: <PEM chain>, key: <PKCS#8 PEM key> }");
        }
        int defaultCertificate = s.integer("default_certificate", 0, 0, certificates.size() - 1);
        List<String> protocols = s.has("protocols") ? s.strings("protocols") : SUPPORTED_PROTOCOLS;
        if (protocols.isEmpty()) {
            throw s.invalid("protocols", "needs at least one of " + SUPPORTED_PROTOCOLS);
        }
        for (int i = 0; i < protocols.size(); i++) {
            String p = protocols.get(i);
            if (!SUPPORTED_PROTOCOLS.contains(p)) {
                String why = p.matches("(?i)(TLSv1(\\.[01])?|SSLv[23])") ? p + " is insecure and not offered"
                        : "unknown protocol '" + p + "'";
                throw new InvalidConfigException(s.keyPath("protocols") + "[" + i + "]", why + "; use " + SUPPORTED_PROTOCOLS);
            }
        }
        ConfigSection auth = s.section("client_auth");
        if (auth.has("ca") && !auth.has("mode")) {
            // Fail closed: a CA alone reads as "check clients", which mode none would not do.
            throw auth.invalid("mode", "required with ca: optional or require (none would ignore the ca)");
        }
        ClientAuthMode mode = ClientAuthMode.valueOf(auth.oneOf("mode", "none", "none", "optional", "require")
                .toUpperCase(java.util.Locale.ROOT));
        Path ca = auth.has("ca") ? path(auth, "ca") : null;
        if (mode != ClientAuthMode.NONE && ca == null) {
            throw auth.invalid("ca", "required with mode " + mode.name().toLowerCase(java.util.Locale.ROOT)
                    + ": the PEM file of the CAs that client certificates must chain to");
        }
        return new ServerTlsSettings(listen, certificates, defaultCertificate, List.copyOf(protocols), mode, ca,
                Limits.duration(s, "handshake_timeout", Duration.ofSeconds(10)));
    }

    private static Path path(ConfigSection s, String key) {
        if (!s.has(key)) {
            throw s.invalid(key, "required: a file name");
        }
        String name = s.string(key);
        if (name.isBlank()) {
            throw s.invalid(key, "required: a file name");
        }
        try {
            return Path.of(name);
        } catch (java.nio.file.InvalidPathException e) {
            throw s.invalid(key, "not a file name: " + e.getMessage());
        }
    }
}
