package dev.turnpike.api;

import java.util.List;
import java.util.Objects;

/**
 * What the TLS handshake of a client connection settled, as {@link Session#tls()} shows it.
 * Immutable; made once per connection after its handshake, and the same for every request on it.
 *
 * @param protocol      the negotiated protocol version, {@code TLSv1.2} or {@code TLSv1.3}
 * @param cipher        the negotiated cipher suite, in its IANA name ({@code TLS_AES_128_GCM_SHA256})
 * @param serverName    the name the client asked for with SNI, lower-cased; {@code null} when it sent none
 * @param clientSubject the subject of the client's certificate (RFC 2253 form, {@code CN=alice,O=Example}),
 *                      or {@code null} when the client presented none
 * @param clientSans    the client certificate's subject alternative names (DNS names, IP addresses,
 *                      e-mail addresses and URIs, as text); empty without a certificate
 */
public record TlsInfo(String protocol, String cipher, String serverName, String clientSubject, List<String> clientSans) {

    public TlsInfo {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(cipher, "cipher");
        clientSans = List.copyOf(clientSans);
    }

    /** Whether the client presented a certificate (which the listener's {@code client_auth} verified). */
    public boolean hasClientCertificate() {
        return clientSubject != null;
    }
}
