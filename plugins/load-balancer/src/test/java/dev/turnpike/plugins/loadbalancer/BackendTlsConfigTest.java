package dev.turnpike.plugins.loadbalancer;

import static dev.turnpike.plugins.loadbalancer.LbTestSupport.PREFIX;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.context;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.defaultGroup;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.map;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.started;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.turnpike.api.Peer;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.testkit.phases.FakePluginContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The TLS forms of a backend: which peer each gives, and which key a refusal names, and why. */
class BackendTlsConfigTest {

    @TempDir
    Path dir;
    private String ca;
    private String cert;
    private String key;

    @BeforeEach
    void pemFiles() throws IOException {
        ca = Files.writeString(dir.resolve("internal-ca.pem"), "ca").toString();
        cert = Files.writeString(dir.resolve("c.pem"), "cert").toString();
        key = Files.writeString(dir.resolve("c.key"), "key").toString();
    }

    /** The peers of a one-group config, checking that every key of it was read. */
    private static List<Peer> peers(Object... backends) {
        FakePluginContext ctx = context(map("backends", List.of(backends), "connect_timeout", "700ms",
                "read_timeout", "9s"));
        LoadBalancer lb = started(ctx);
        assertEquals(List.of(), ctx.config().unreadKeys(), "every key of an accepted config is read");
        return defaultGroup(lb).settings.backends().stream().map(GroupSettings.Backend::peer).toList();
    }

    private static Peer peer(Object backend) {
        return peers(backend).get(0);
    }

    private static InvalidConfigException refused(Object... backends) {
        return assertThrows(InvalidConfigException.class, () -> started(map("backends", List.of(backends))));
    }

    private static void assertRefused(String key, String reasonPart, InvalidConfigException e) {
        assertEquals(PREFIX + key, e.key());
        assertTrue(e.reason().contains(reasonPart), () -> "'" + reasonPart + "' in: " + e.reason());
    }

    // ------------------------------------------------------------------ accepted

    @Test
    void theFullMappingGivesEverySetting() {
        Peer p = peer(map("address", "api.internal:443", "weight", 2, "tls", true, "sni", "api.internal",
                "verify", true, "verify_hostname", true, "ca", ca, "client_cert", cert, "client_key", key));
        assertEquals("api.internal:443", p.address());
        assertTrue(p.tls());
        assertEquals("api.internal", p.sni());
        assertTrue(p.verify());
        assertTrue(p.verifyHostname());
        assertEquals(Path.of(ca), p.ca());
        assertEquals(Path.of(cert), p.clientCertificate());
        assertEquals(Path.of(key), p.clientKey());
        assertEquals(Duration.ofMillis(700), p.connectTimeout(), "the group's timeouts apply to TLS backends too");
        assertEquals(Duration.ofSeconds(9), p.readTimeout());
    }

    @Test
    void tlsAloneTakesTheDefaults() {
        Peer p = peer(map("address", "api.internal:8443", "tls", true));
        assertTrue(p.tls());
        assertNull(p.sni(), "no sni: the runtime sends the host");
        assertEquals("api.internal", p.serverName());
        assertTrue(p.verify());
        assertTrue(p.verifyHostname());
        assertNull(p.ca(), "the system's trust store");
        assertNull(p.clientCertificate());
        assertNull(p.clientKey());
    }

    @Test
    void verificationCanBeTurnedOff() {
        Peer p = peer(map("address", "10.0.0.5:443", "tls", true, "verify", false, "verify_hostname", false));
        assertFalse(p.verify());
        assertFalse(p.verifyHostname());
    }

    @Test
    void aRelativeFilePathIsKeptAsWritten() throws IOException {
        Path relative = Files.createTempFile(Path.of(""), "lb-ca", ".pem").getFileName();
        try {
            Peer p = peer(map("address", "a:443", "tls", true, "ca", relative.toString()));
            assertEquals(relative, p.ca());
            assertFalse(p.ca().isAbsolute(), "the runtime resolves it, against its working directory");
        } finally {
            Files.delete(relative);
        }
    }

    @Test
    void httpsWithoutAPortIs443() {
        Peer p = peer("https://api.internal");
        assertEquals("api.internal", p.host());
        assertEquals(443, p.port());
        assertTrue(p.tls());
        assertNull(p.sni());
        assertTrue(p.verify());
    }

    @Test
    void httpWithoutAPortIs80() {
        Peer p = peer("http://web.internal");
        assertEquals(80, p.port());
        assertFalse(p.tls());
        assertEquals(Peer.of("web.internal", 80), p);
    }

    @Test
    void schemesWithAPort() {
        List<Peer> p = peers("https://a.internal:8443", "http://b.internal:8080", "c.internal:9000",
                "HTTPS://d.internal", "https://[::1]", "https://[::2]:9443");
        assertEquals(Peer.builder("a.internal", 8443).tls(true).build(), p.get(0));
        assertEquals(Peer.of("b.internal", 8080), p.get(1));
        assertEquals(Peer.of("c.internal", 9000), p.get(2), "host:port is still plain HTTP");
        assertTrue(p.get(3).tls(), "the scheme's case does not matter");
        assertEquals("[::1]:443", p.get(4).address());
        assertTrue(p.get(4).tls());
        assertEquals("[::2]:9443", p.get(5).address());
    }

    @Test
    void anHttpsAddressInTheMappingTakesTlsKeysWithoutTls() {
        Peer p = peer(map("address", "https://api.internal", "sni", "api.example.com", "ca", ca));
        assertTrue(p.tls());
        assertEquals(443, p.port());
        assertEquals("api.example.com", p.sni());
        assertEquals(Path.of(ca), p.ca());
        assertTrue(peer(map("address", "https://api.internal", "tls", true)).tls(), "saying it twice is fine");
    }

    @Test
    void tlsFalseIsPlain() {
        assertEquals(Peer.of("a", 1), peer(map("address", "a:1", "tls", false)));
        assertEquals(Peer.of("a", 80), peer(map("address", "http://a", "tls", false)));
    }

    // ------------------------------------------------------------------ refused

    @Test
    void theSameAddressTwiceIsRefusedWhateverItsTls() {
        assertRefused(".backends[1]", "listed twice", refused("a:443", "https://a"));
        assertRefused(".backends[1]", "listed twice", refused(map("address", "a:443", "tls", true, "sni", "x.internal"),
                map("address", "a:443", "tls", true)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"sni", "verify", "verify_hostname", "ca", "client_cert", "client_key"})
    void aTlsKeyNeedsTls(String tlsKey) {
        Object value = switch (tlsKey) {
            case "sni" -> "api.internal";
            case "verify", "verify_hostname" -> true;
            default -> ca;
        };
        assertRefused(".backends[0]." + tlsKey, tlsKey + " needs tls: true", refused(map("address", "a:1", tlsKey, value)));
        assertRefused(".backends[0]." + tlsKey, tlsKey + " needs tls: true",
                refused(map("address", "a:1", "tls", false, tlsKey, value)));
        assertRefused(".backends[0]." + tlsKey, "needs an https:// address",
                refused(map("address", "http://a", tlsKey, value)));
    }

    @Test
    void tlsContradictingTheSchemeIsRefused() {
        assertRefused(".backends[0].tls", "contradicts", refused(map("address", "https://a", "tls", false)));
        assertRefused(".backends[0].tls", "contradicts", refused(map("address", "http://a", "tls", true)));
    }

    @Test
    void aClientCertificateNeedsItsKey() {
        assertRefused(".backends[0].client_key", "required with client_cert",
                refused(map("address", "a:443", "tls", true, "client_cert", cert)));
        assertRefused(".backends[0].client_cert", "required with client_key",
                refused(map("address", "a:443", "tls", true, "client_key", key)));
    }

    @Test
    void aRefusalInAGroupNamesTheGroupsKey() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> started(map("groups", map(
                "api", map("backends", List.of("a:1", map("address", "b:443", "tls", true, "client_cert", cert)))))));
        assertRefused(".groups.api.backends[1].client_key", "required with client_cert", e);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1", "::1", "[::1]", "2001:db8::5"})
    void anSniThatIsAnIpLiteralIsRefused(String sni) {
        assertRefused(".backends[0].sni", "IP literal", refused(map("address", "a:443", "tls", true, "sni", sni)));
    }

    @Test
    void anSniThatIsNoHostNameIsRefused() {
        assertRefused(".backends[0].sni", "host name", refused(map("address", "a:443", "tls", true, "sni", "a b")));
        assertRefused(".backends[0].sni", "host name", refused(map("address", "a:443", "tls", true, "sni", 7)));
        assertRefused(".backends[0].sni", "host name", refused(map("address", "a:443", "tls", true, "sni", "")));
    }

    @Test
    void wrongTypesAreRefused() {
        assertRefused(".backends[0].tls", "true or false", refused(map("address", "a:443", "tls", "yes")));
        assertRefused(".backends[0].verify", "true or false",
                refused(map("address", "a:443", "tls", true, "verify", "no")));
        assertRefused(".backends[0].verify_hostname", "true or false",
                refused(map("address", "a:443", "tls", true, "verify_hostname", 0)));
        assertRefused(".backends[0].ca", "path of a PEM file",
                refused(map("address", "a:443", "tls", true, "ca", List.of(ca))));
        assertRefused(".backends[0].client_key", "path of a PEM file",
                refused(map("address", "a:443", "tls", true, "client_cert", cert, "client_key", 5)));
    }

    @Test
    void aFileThatDoesNotExistIsRefused() {
        String missing = dir.resolve("nope.pem").toString();
        assertRefused(".backends[0].ca", "no such file: " + missing,
                refused(map("address", "a:443", "tls", true, "ca", missing)));
        assertRefused(".backends[0].client_key", "no such file",
                refused(map("address", "a:443", "tls", true, "client_cert", cert, "client_key", missing)));
        assertRefused(".backends[0].ca", "relative to the working directory",
                refused(map("address", "a:443", "tls", true, "ca", "conf/tls/no-such-ca.pem")));
    }

    @Test
    void aDirectoryIsNotAFile() {
        assertRefused(".backends[0].client_cert", "is not a file",
                refused(map("address", "a:443", "tls", true, "client_cert", dir.toString(), "client_key", key)));
    }

    @Test
    void anUnreadableFileIsRefused() throws IOException {
        Path locked = Files.writeString(dir.resolve("locked.pem"), "ca");
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        assumeFalse(Files.isReadable(locked), "root reads every file");
        assertRefused(".backends[0].ca", "cannot be read",
                refused(map("address", "a:443", "tls", true, "ca", locked.toString())));
    }

    @Test
    void anUnknownKeyIsRefusedWithTheKnownOnes() {
        assertRefused(".backends[0].tsl", "address, weight, tls, sni, verify, verify_hostname, ca, client_cert, client_key",
                refused(map("address", "a:443", "tsl", true)));
        assertRefused(".backends[0].client_certificate", "unknown key",
                refused(map("address", "a:443", "tls", true, "client_certificate", cert)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://a:21", "tcp://a:1", "h2://a", "://a:1"})
    void anotherSchemeIsRefused(String address) {
        assertRefused(".backends[0]", "unknown scheme", refused(address));
        assertRefused(".backends[0]", "unknown scheme", refused(map("address", address)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://a:443/api", "https://a/", "http://a:8080/", "https://a?x=1", "http://a#top"})
    void aPathAfterTheHostIsRefused(String address) {
        assertRefused(".backends[0]", "without a path", refused(address));
    }

    @Test
    void aBadHostOrPortAfterTheSchemeIsRefused() {
        assertRefused(".backends[0]", "names no host", refused("https://"));
        assertRefused(".backends[0]", "'https://a:99999' has port 99999", refused("https://a:99999"));
        assertRefused(".backends[0]", "'https://a b' has an invalid host", refused("https://a b"));
        assertRefused(".backends[0]", "port that is not a number", refused(map("address", "https://a:x")));
    }

    @Test
    void theAddressIsStillRequired() {
        assertRefused(".backends[0].address", "required", refused(map("tls", true, "sni", "a.internal")));
    }
}
