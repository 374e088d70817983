package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.TestBackend;
import dev.turnpike.testing.TestPki;
import dev.turnpike.testing.TlsBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forward proxy in the packaged proxy, driven by curl: {@code curl -p -x} through a CONNECT
 * tunnel to a local HTTPS backend (the proxy sees only TLS bytes), the policy's refusals with
 * nothing connected, absolute-form requests, and the bundled proxy-auth plugin.
 */
@Timeout(120)
class ForwardProxyIT {

    @TempDir
    static Path dir;

    private static Path caPem;
    private static TlsBackend tls;
    private static TestBackend origin;
    private static ProxyProcess open;
    private static ProxyProcess denying;
    private static ProxyProcess authenticating;

    @BeforeAll
    static void start() throws Exception {
        TestPki.Authority ca = TestPki.ca("Forward CA");
        caPem = ca.writeTo(Files.createDirectories(dir.resolve("pki")).resolve("ca.pem"));
        tls = TlsBackend.builder(ca.issue(TestPki.server("localhost"))).start();
        origin = new TestBackend("origin");
        origin.start();
        String forward = "forward_proxy:\n  enabled: true\n  connect_ports: [" + tls.port() + ", " + origin.port() + "]\n";
        open = ProxyProcess.builder(Files.createDirectories(dir.resolve("open"))).backends(origin)
                .extraYaml(forward + "  deny_networks: [10.0.0.0/8]\n").start();
        denying = ProxyProcess.builder(Files.createDirectories(dir.resolve("denying"))).backends(origin)
                .extraYaml(forward).start();
        Path authDir = Files.createDirectories(dir.resolve("auth"));
        byte[] salt = HexFormat.of().parseHex("a1b2c3d4e5f60718");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(salt);
        sha.update("s3cret pass".getBytes(StandardCharsets.UTF_8));
        Files.writeString(authDir.resolve("proxy-users"),
                "alice:sha256:a1b2c3d4e5f60718:" + HexFormat.of().formatHex(sha.digest()) + "\n");
        authenticating = ProxyProcess.builder(authDir)
                .pluginJars(ProxyProcess.pluginJar("proxy-auth"))
                .chainYaml("    - id: proxy-auth\n      config: { users_file: proxy-users, realm: tests }\n"
                        + "    - id: load-balancer\n      config: { backends: ['127.0.0.1:" + origin.port() + "'] }\n")
                .extraYaml(forward + "  deny_networks: [10.0.0.0/8]\n").start();
    }

    @AfterAll
    static void stop() throws Exception {
        for (ProxyProcess p : new ProxyProcess[] {open, denying, authenticating}) {
            if (p != null) {
                p.close();
            }
        }
        tls.close();
        origin.close();
    }

    private static TlsKit.Run curl(String... args) throws Exception {
        List<String> c = new ArrayList<>(List.of("curl", "-sS", "--max-time", "30"));
        c.addAll(List.of(args));
        return TlsKit.run(c);
    }

    private static String proxy(ProxyProcess p) {
        return "http://127.0.0.1:" + p.port();
    }

    @Test
    void curlThroughAConnectTunnelToAnHttpsBackend() throws Exception {
        int before = tls.requests();
        TlsKit.Run r = curl("-p", "-x", proxy(open), "--cacert", caPem.toString(), "-w", "\n%{http_code}",
                "https://localhost:" + tls.port() + "/");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().endsWith("\n200"), r::toString);
        assertTrue(r.out().startsWith(TlsBackend.BODY), r::toString);
        assertEquals(before + 1, tls.requests());
        open.assertAlive();
    }

    @Test
    void aConnectToAPortNotListedIs403AndNothingIsConnected() throws Exception {
        try (TestBackend other = new TestBackend("other")) {
            other.start();
            TlsKit.Run r = curl("-p", "-x", proxy(open), "-v", "http://127.0.0.1:" + other.port() + "/");
            assertNotEquals(0, r.exit(), r::toString);
            assertTrue(r.out().contains("HTTP/1.1 403"), r::toString);
            assertEquals(0, other.connectionsAccepted());
        }
    }

    @Test
    void localhostResolvesToADeniedNetworkWithTheDefaultList() throws Exception {
        int before = origin.connectionsAccepted();
        TlsKit.Run r = curl("-p", "-x", proxy(denying), "-v", "http://localhost:" + origin.port() + "/name");
        assertNotEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("HTTP/1.1 403"), r::toString);
        TlsKit.Run https = curl("-p", "-x", proxy(denying), "--cacert", caPem.toString(), "-v",
                "https://localhost:" + tls.port() + "/");
        assertNotEquals(0, https.exit(), https::toString);
        assertTrue(https.out().contains("HTTP/1.1 403"), https::toString);
        assertEquals(before, origin.connectionsAccepted());
    }

    @Test
    void absoluteFormGoesToTheOriginItNames() throws Exception {
        try (TestBackend named = new TestBackend("named")) {
            named.start();
            TlsKit.Run r = curl("-x", proxy(open), "http://127.0.0.1:" + named.port() + "/name");
            assertEquals(0, r.exit(), r::toString);
            assertEquals("named", r.out(), r::toString);
            assertEquals("GET /name HTTP/1.1", named.lastRequestLine());
        }
        // An origin-form request still goes to the backend the load balancer chooses.
        TlsKit.Run plain = curl("http://127.0.0.1:" + open.port() + "/name");
        assertEquals("origin", plain.out(), plain::toString);
    }

    @Test
    void proxyAuthAsksFor407AndLetsCredentialsThrough() throws Exception {
        String url = "https://localhost:" + tls.port() + "/";
        TlsKit.Run none = curl("-p", "-x", proxy(authenticating), "--cacert", caPem.toString(), "-v", url);
        assertNotEquals(0, none.exit(), none::toString);
        assertTrue(none.out().contains("HTTP/1.1 407"), none::toString);
        assertTrue(none.out().contains("Proxy-Authenticate: Basic realm=\"tests\""), none::toString);
        TlsKit.Run wrong = curl("-p", "-x", proxy(authenticating), "--proxy-user", "alice:nope", "--cacert", caPem.toString(),
                "-v", url);
        assertTrue(wrong.out().contains("HTTP/1.1 407"), wrong::toString);
        TlsKit.Run ok = curl("-p", "-x", proxy(authenticating), "--proxy-user", "alice:s3cret pass", "--cacert",
                caPem.toString(), "-w", "\n%{http_code}", url);
        assertEquals(0, ok.exit(), ok::toString);
        assertTrue(ok.out().startsWith(TlsBackend.BODY) && ok.out().endsWith("\n200"), ok::toString);
        // An ordinary request needs no credentials (forward_only).
        TlsKit.Run plain = curl("http://127.0.0.1:" + authenticating.port() + "/name");
        assertEquals("origin", plain.out(), plain::toString);
    }
}
