package dev.turnpike.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.HostPort;
import dev.turnpike.runtime.config.ServerTlsSettings.CertificateFiles;
import dev.turnpike.runtime.config.ServerTlsSettings.ClientAuthMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code server.tls:} and {@code tls:} as read from the file: defaults, every key, and each refusal's key and reason. */
class ServerTlsSettingsTest {

    private static final String CERTS = "    certificates:\n      - { cert: conf/tls/site.pem, key: conf/tls/site.key }\n";

    @TempDir
    Path dir;

    private Path file;

    private ProxyConfig load(String yaml) throws Exception {
        file = dir.resolve("proxy.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.load(file);
    }

    private ConfigException refuse(String yaml) throws Exception {
        file = dir.resolve("proxy.yaml");
        Files.writeString(file, yaml);
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
    }

    private static void assertRefusal(ConfigException e, String key, String reasonPart) {
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.reason().contains(reasonPart), "reason should contain '" + reasonPart + "': " + e.reason());
    }

    private static String tls(String extra) {
        return "server:\n  tls:\n    listen: 127.0.0.1:8443\n" + CERTS + extra;
    }

    @Test
    void withoutTheSectionThereIsNoTlsListener() throws Exception {
        ProxyConfig c = load("");
        assertNull(c.server().tls());
        assertEquals(new HostPort("127.0.0.1", 8080), c.server().listen());
        assertEquals(TlsSettings.Provider.AUTO, c.tls().provider());
        assertEquals(TlsSettings.defaults(), c.tls());
    }

    @Test
    void defaults() throws Exception {
        ServerTlsSettings t = load(tls("")).server().tls();
        assertEquals(new HostPort("127.0.0.1", 8443), t.listen());
        assertEquals(List.of(new CertificateFiles(Path.of("conf/tls/site.pem"), Path.of("conf/tls/site.key"))), t.certificates());
        assertEquals(0, t.defaultCertificate());
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), t.protocols());
        assertEquals(ClientAuthMode.NONE, t.clientAuth());
        assertNull(t.clientCa());
        assertEquals(Duration.ofSeconds(10), t.handshakeTimeout());
    }

    @Test
    void withTlsTheCleartextListenerIsOptIn() throws Exception {
        ProxyConfig tlsOnly = load(tls(""));
        assertNull(tlsOnly.server().listen(), "an edge that set up HTTPS only does not also speak HTTP");
        ProxyConfig both = load("server:\n  listen: 0.0.0.0:8080\n  tls:\n    listen: 0.0.0.0:8443\n" + CERTS);
        assertEquals(new HostPort("0.0.0.0", 8080), both.server().listen());
        assertEquals(new HostPort("0.0.0.0", 8443), both.server().tls().listen());
    }

    @Test
    void everyKeyIsRead() throws Exception {
        ServerTlsSettings t = load("""
                server:
                  tls:
                    listen: "[::1]:443"
                    certificates:
                      - cert: /etc/turnpike/a.pem
                        key: /etc/turnpike/a.key
                      - { cert: b.pem, key: b.key }
                    default_certificate: 1
                    protocols: [TLSv1.3]
                    client_auth:
                      mode: require
                      ca: clients.pem
                    handshake_timeout: 2500ms
                tls:
                  provider: jdk
                """).server().tls();
        assertEquals(new HostPort("::1", 443), t.listen());
        assertEquals(List.of(new CertificateFiles(Path.of("/etc/turnpike/a.pem"), Path.of("/etc/turnpike/a.key")),
                new CertificateFiles(Path.of("b.pem"), Path.of("b.key"))), t.certificates());
        assertEquals(1, t.defaultCertificate());
        assertEquals(List.of("TLSv1.3"), t.protocols());
        assertEquals(ClientAuthMode.REQUIRE, t.clientAuth());
        assertEquals(Path.of("clients.pem"), t.clientCa());
        assertEquals(Duration.ofMillis(2500), t.handshakeTimeout());
        assertEquals(TlsSettings.Provider.JDK, load("tls: { provider: jdk }").tls().provider());
    }

    @Test
    void clientAuthOptionalAndNoneWithACa() throws Exception {
        ServerTlsSettings optional = load(tls("    client_auth: { mode: optional, ca: clients.pem }\n")).server().tls();
        assertEquals(ClientAuthMode.OPTIONAL, optional.clientAuth());
        assertEquals(Path.of("clients.pem"), optional.clientCa());
        ServerTlsSettings none = load(tls("    client_auth: { mode: none }\n")).server().tls();
        assertEquals(ClientAuthMode.NONE, none.clientAuth());
    }

    @Test
    void bothListenersOnOneAddressAreRefused() throws Exception {
        assertRefusal(refuse("server:\n  listen: 127.0.0.1:8443\n  tls:\n    listen: 127.0.0.1:8443\n" + CERTS),
                "server.tls.listen", "is also server.listen");
    }

    @Test
    void theTlsListenAddressIsRequired() throws Exception {
        assertRefusal(refuse("server:\n  tls:\n" + CERTS), "server.tls.listen", "required");
        assertRefusal(refuse("server:\n  tls:\n    listen: localhost\n" + CERTS), "server.tls.listen", "");
    }

    @Test
    void certificatesAreRequired() throws Exception {
        assertRefusal(refuse("server:\n  tls:\n    listen: 127.0.0.1:8443\n"), "server.tls.certificates", "required");
        assertRefusal(refuse("server:\n  tls:\n    listen: 127.0.0.1:8443\n    certificates: []\n"), "server.tls.certificates",
                "required");
    }

    @Test
    void eachCertificateNeedsBothFiles() throws Exception {
        assertRefusal(refuse("server:\n  tls:\n    listen: 127.0.0.1:8443\n    certificates:\n      - { cert: a.pem }\n"),
                "server.tls.certificates[0].key", "required: a file name");
        assertRefusal(refuse("server:\n  tls:\n    listen: 127.0.0.1:8443\n    certificates:\n      - { cert: a.pem, key: a.key }\n"
                + "      - { cert: '  ', key: b.key }\n"), "server.tls.certificates[1].cert", "required: a file name");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 5, -1})
    void aDefaultCertificateOutOfRangeIsRefused(int index) throws Exception {
        assertRefusal(refuse(tls("    default_certificate: " + index + "\n")), "server.tls.default_certificate", "outside 0..0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.1", "TLSv1", "TLSv1.0", "SSLv3", "SSLv2"})
    void oldProtocolsAreRefusedAsInsecure(String protocol) throws Exception {
        ConfigException e = refuse(tls("    protocols: [TLSv1.3, " + protocol + "]\n"));
        assertRefusal(e, "server.tls.protocols[1]", protocol + " is insecure");
        assertTrue(e.reason().contains("[TLSv1.2, TLSv1.3]"), e.reason());
    }

    @Test
    void anUnknownProtocolIsRefused() throws Exception {
        assertRefusal(refuse(tls("    protocols: [TLSv1.4]\n")), "server.tls.protocols[0]", "unknown protocol 'TLSv1.4'");
        assertRefusal(refuse(tls("    protocols: [tlsv1.3]\n")), "server.tls.protocols[0]", "unknown protocol 'tlsv1.3'");
        assertRefusal(refuse(tls("    protocols: []\n")), "server.tls.protocols", "needs at least one");
    }

    @ParameterizedTest
    @ValueSource(strings = {"require", "optional"})
    void aClientAuthModeThatAsksNeedsACa(String mode) throws Exception {
        assertRefusal(refuse(tls("    client_auth: { mode: " + mode + " }\n")), "server.tls.client_auth.ca",
                "required with mode " + mode);
    }

    @Test
    void anUnknownClientAuthModeIsRefused() throws Exception {
        assertRefusal(refuse(tls("    client_auth: { mode: verify, ca: c.pem }\n")), "server.tls.client_auth.mode",
                "'verify' is not one of none, optional, require");
    }

    @Test
    void anUnknownKeyUnderServerTlsIsRefusedWithTheKnownOnes() throws Exception {
        assertRefusal(refuse(tls("    ciphers: [TLS_AES_128_GCM_SHA256]\n")), "server.tls.ciphers",
                "unknown key; known keys here: listen, certificates, default_certificate, protocols, client_auth, handshake_timeout");
    }

    @Test
    void unknownKeysDeeperInAreRefused() throws Exception {
        ConfigException auth = refuse(tls("    client_auth: { mode: require, ca: c.pem, depth: 2 }\n"));
        assertRefusal(auth, "server.tls.client_auth.depth", "unknown key");
        ConfigException cert = refuse("server:\n  tls:\n    listen: 127.0.0.1:8443\n    certificates:\n"
                + "      - { cert: a.pem, key: a.key, password: x }\n");
        assertRefusal(cert, "server.tls.certificates[0].password", "unknown key");
    }

    @ParameterizedTest
    @ValueSource(strings = {"auto", "openssl", "jdk"})
    void theProviderIsOneOfThree(String provider) throws Exception {
        assertEquals(TlsSettings.Provider.valueOf(provider.toUpperCase(java.util.Locale.ROOT)),
                load("tls:\n  provider: " + provider + "\n").tls().provider());
    }

    @Test
    void anUnknownProviderIsRefused() throws Exception {
        assertRefusal(refuse("tls:\n  provider: boringssl\n"), "tls.provider", "'boringssl' is not one of auto, openssl, jdk");
        assertRefusal(refuse("tls:\n  providers: jdk\n"), "tls.providers", "unknown key; known keys here: provider");
    }

    @Test
    void aBadHandshakeTimeoutIsRefused() throws Exception {
        assertRefusal(refuse(tls("    handshake_timeout: soon\n")), "server.tls.handshake_timeout", "");
    }

    @Test
    void tlsIsAKnownKeyOfTheTopLevelAndOfServer() throws Exception {
        ConfigException top = refuse("tsl: {}\n");
        assertTrue(top.reason().contains("tls"), top.reason());
        ConfigException server = refuse("server:\n  tsl: {}\n");
        assertTrue(server.reason().contains(", tls"), server.reason());
    }
}
