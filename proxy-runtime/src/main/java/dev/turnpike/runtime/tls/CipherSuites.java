package dev.turnpike.runtime.tls;

import java.util.List;

/**
 * The cipher suites both sides offer: forward-secret AEAD only (ECDHE with AES-GCM or
 * ChaCha20-Poly1305 for TLS 1.2, and TLS 1.3's three). No CBC, RC4, 3DES, static RSA or SHA-1 MACs:
 * Mozilla's "intermediate" profile, which every client of the last decade speaks. JDK names; Netty
 * maps them for OpenSSL, and drops the ones a provider lacks.
 */
final class CipherSuites {

    static final List<String> SECURE = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    private CipherSuites() {
    }
}
