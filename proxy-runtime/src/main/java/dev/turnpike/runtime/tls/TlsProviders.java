package dev.turnpike.runtime.tls;

import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.runtime.config.TlsSettings;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;

/**
 * Chooses the TLS implementation ({@code tls.provider}). OpenSSL is BoringSSL as netty-tcnative
 * ships it: less CPU per handshake and per byte than the JDK's, and its own buffers. Its reference-
 * counted flavour is used, so that a retired certificate's native context is freed when its last
 * connection closes, not whenever a finalizer runs.
 */
public final class TlsProviders {

    private TlsProviders() {
    }

    /**
     * @throws InvalidConfigException for {@code openssl} where its native library does not load
     */
    public static SslProvider choose(TlsSettings.Provider wanted) {
        switch (wanted) {
            case JDK:
                return SslProvider.JDK;
            case OPENSSL:
                if (!OpenSsl.isAvailable()) {
                    throw new InvalidConfigException("tls.provider", "openssl is not available on this machine ("
                            + OpenSsl.unavailabilityCause() + "); use auto or jdk");
                }
                return SslProvider.OPENSSL_REFCNT;
            default:
                return OpenSsl.isAvailable() ? SslProvider.OPENSSL_REFCNT : SslProvider.JDK;
        }
    }

    /** For the start-up line: {@code OpenSSL (BoringSSL)} or {@code JDK (SunJSSE)}. */
    public static String describe(SslProvider provider) {
        if (provider == SslProvider.JDK) {
            return "JDK";
        }
        return "OpenSSL (" + OpenSsl.versionString() + ")";
    }

    /** Why OpenSSL is not used, for the log when auto falls back; {@code null} when it is available. */
    public static String whyNotOpenSsl() {
        return OpenSsl.isAvailable() ? null : String.valueOf(OpenSsl.unavailabilityCause());
    }
}
