package dev.turnpike.runtime.config;

import dev.turnpike.api.config.ConfigSection;
import java.util.List;
import java.util.Locale;

/**
 * {@code tls:} in the configuration file: what both sides' TLS is made with.
 *
 * @param provider {@code tls.provider}: {@code auto} (the default: OpenSSL, through BoringSSL as
 *                 netty-tcnative ships it, where its native library loads on this machine; the JDK's
 *                 own otherwise), {@code openssl} (refuse to start without it) or {@code jdk}
 */
public record TlsSettings(Provider provider) {

    static final List<String> KEYS = List.of("provider");

    /** Which TLS implementation the proxy uses. */
    public enum Provider { AUTO, OPENSSL, JDK }

    public static TlsSettings defaults() {
        return new TlsSettings(Provider.AUTO);
    }

    static TlsSettings read(ConfigSection s) {
        return new TlsSettings(Provider.valueOf(s.oneOf("provider", "auto", "auto", "openssl", "jdk").toUpperCase(Locale.ROOT)));
    }
}
