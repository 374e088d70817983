package dev.turnpike.runtime.config;

/**
 * {@code tcp[i].proxy_protocol}: whether the proxy opens each backend connection of an L4 listener
 * with a PROXY protocol header (HAProxy's), so the backend learns the client's address, and which
 * version. The backend must expect it: one that does not reads the header as its protocol's bytes.
 */
public enum ProxyProtocolMode {
    /** No header: the backend sees the proxy's address (the default). */
    NONE,
    /** The human-readable header: {@code PROXY TCP4 src dst sport dport\r\n}. */
    V1,
    /** The binary header (12-byte signature, addresses in network order). */
    V2;

    /** Exactly {@code none}, {@code v1} or {@code v2}, lower case like every enumerated setting. */
    static ProxyProtocolMode parse(String text) {
        return switch (text) {
            case "none" -> NONE;
            case "v1" -> V1;
            case "v2" -> V2;
            default -> throw new IllegalArgumentException("expected none, v1 or v2, got '" + text + "'");
        };
    }
}
