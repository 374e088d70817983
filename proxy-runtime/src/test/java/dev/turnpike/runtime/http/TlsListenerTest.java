package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.turnpike.api.HostPort;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.api.TlsInfo;
import dev.turnpike.runtime.config.ServerTlsSettings;
import dev.turnpike.runtime.config.ServerTlsSettings.CertificateFiles;
import dev.turnpike.runtime.config.ServerTlsSettings.ClientAuthMode;
import dev.turnpike.runtime.config.TlsSettings;
import dev.turnpike.runtime.plugin.LogCapture;
import dev.turnpike.runtime.tls.ServerTls;
import dev.turnpike.testing.TestBackend;
import dev.turnpike.testing.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The TLS listener in the test JVM, for what a process-level test sees poorly: what plugins see in
 * {@code Session.tls()}, the handshake timeout, what a client that does not speak TLS gets, session
 * resumption, and the expiry warning. Real sockets, real handshakes, certificates made here.
 */
class TlsListenerTest {

    @TempDir
    Path dir;

    private TestPki.Authority ca;
    private TestPki.Files site;
    private TestBackend backend;
    private InJvmProxy proxy;

    @BeforeEach
    void setUp() throws Exception {
        ca = TestPki.ca("Listener Test CA");
        site = ca.issue(TestPki.server("localhost", "127.0.0.1")).writeTo(dir, "site");
        backend = new TestBackend("b");
        backend.start();
    }

    @AfterEach
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
        backend.close();
    }

    private ServerTlsSettings settings(ClientAuthMode mode, Path clientCa, Duration handshakeTimeout, TestPki.Files... certs) {
        List<CertificateFiles> files = java.util.Arrays.stream(certs).map(f -> new CertificateFiles(f.cert(), f.key())).toList();
        return new ServerTlsSettings(new HostPort("127.0.0.1", 0), files, 0, List.of("TLSv1.2", "TLSv1.3"), mode, clientCa,
                handshakeTimeout);
    }

    /** Records what upstream_peer saw of the connection's TLS, and routes to the backend. */
    private static final class SeesTls implements ProxyPlugin<Void> {
        final AtomicReference<TlsInfo> seen = new AtomicReference<>();
        final AtomicReference<Boolean> isTls = new AtomicReference<>();
        private final Peer peer;

        SeesTls(int port) {
            peer = Peer.of("127.0.0.1", port);
        }

        @Override
        public Outcome upstreamPeer(Session session, Void ctx) {
            seen.set(session.tls());
            isTls.set(session.isTls());
            return Outcome.upstream(peer);
        }
    }

    private static HttpResponse<String> get(SSLContext ssl, int port, String host) throws Exception {
        SSLParameters params = new SSLParameters();
        HttpClient client = HttpClient.newBuilder().sslContext(ssl).sslParameters(params).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        return client.send(HttpRequest.newBuilder(java.net.URI.create("https://" + host + ":" + port + "/x"))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @ParameterizedTest
    @EnumSource(value = TlsSettings.Provider.class, names = {"JDK", "OPENSSL"})
    void aPluginSeesTheVersionCipherServerNameAndClientCertificate(TlsSettings.Provider provider) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(provider != TlsSettings.Provider.OPENSSL
                || io.netty.handler.ssl.OpenSsl.isAvailable(), "OpenSSL is not available here");
        Path clientCa = ca.writeTo(dir.resolve("clients.pem"));
        SeesTls plugin = new SeesTls(backend.port());
        proxy = InJvmProxy.builder().tls(settings(ClientAuthMode.OPTIONAL, clientCa, Duration.ofSeconds(10), site))
                .tlsProvider(provider).plugin("sees-tls", plugin).start();

        TestPki.Issued alice = ca.issue(TestPki.client("alice").san("alice@example.test"));
        HttpResponse<String> r = get(ca.clientContext(alice), proxy.tlsPort(), "localhost");
        assertEquals(200, r.statusCode());
        TlsInfo tls = plugin.seen.get();
        assertNotNull(tls, "session.tls() on the TLS listener");
        assertTrue(plugin.isTls.get());
        assertTrue(tls.protocol().equals("TLSv1.3") || tls.protocol().equals("TLSv1.2"), tls.protocol());
        assertTrue(tls.cipher().startsWith("TLS_"), tls.cipher());
        assertEquals("localhost", tls.serverName());
        assertEquals("CN=alice,O=Turnpike Tests", tls.clientSubject());
        assertTrue(tls.clientSans().contains("alice@example.test"), tls.clientSans().toString());

        // Optional client auth: no certificate is fine, and the plugin sees none.
        HttpResponse<String> anonymous = get(ca.clientContext(), proxy.tlsPort(), "localhost");
        assertEquals(200, anonymous.statusCode());
        assertNull(plugin.seen.get().clientSubject());
        assertFalse(plugin.seen.get().hasClientCertificate());
    }

    @Test
    void theCleartextListenerShowsNoTls() throws Exception {
        SeesTls plugin = new SeesTls(backend.port());
        proxy = InJvmProxy.builder().tls(settings(ClientAuthMode.NONE, null, Duration.ofSeconds(10), site))
                .plugin("sees-tls", plugin).start();
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(proxy.uri("/x")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertNull(plugin.seen.get());
        assertFalse(plugin.isTls.get());
    }

    @Test
    void aClientThatNeverSendsItsHelloIsClosedAtTheHandshakeTimeout() throws Exception {
        proxy = InJvmProxy.builder().tls(settings(ClientAuthMode.NONE, null, Duration.ofMillis(300), site))
                .plugin("sees-tls", new SeesTls(backend.port())).start();
        try (Socket s = new Socket("127.0.0.1", proxy.tlsPort())) {
            s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(30));
            assertEquals(-1, s.getInputStream().read(), "the proxy closes a silent TLS connection");
        }
        awaitMetric("turnpike_tls_handshakes_total", "timeout");
    }

    @Test
    void plainHttpOnTheTlsPortGetsNoHttpAnswerAndIsCounted() throws Exception {
        proxy = InJvmProxy.builder().tls(settings(ClientAuthMode.NONE, null, Duration.ofSeconds(10), site))
                .plugin("sees-tls", new SeesTls(backend.port())).start();
        try (Socket s = new Socket("127.0.0.1", proxy.tlsPort())) {
            s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(30));
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = readAll(s.getInputStream());
            assertFalse(answer.startsWith("HTTP/"), "no HTTP answer on the TLS port: " + answer);
        }
        assertEquals(0, backend.requestsServed(), "nothing reached the backend");
        awaitMetric("turnpike_tls_handshakes_total", "protocol");
    }

    @Test
    void requiredClientAuthRefusesAClientWithoutCertificate() throws Exception {
        Path clientCa = ca.writeTo(dir.resolve("clients.pem"));
        proxy = InJvmProxy.builder().tls(settings(ClientAuthMode.REQUIRE, clientCa, Duration.ofSeconds(10), site))
                .plugin("sees-tls", new SeesTls(backend.port())).start();
        assertThrows(IOException.class, () -> get(ca.clientContext(), proxy.tlsPort(), "localhost"));
        assertEquals(200, get(ca.clientContext(ca.issue(TestPki.client("bob"))), proxy.tlsPort(), "localhost").statusCode());
        assertEquals(0, proxy.metric("turnpike_request_errors_total"), "a refused handshake is not a failed request");
    }

    @Test
    void aSessionResumes() throws Exception {
        proxy = InJvmProxy.builder().tls(settings(ClientAuthMode.NONE, null, Duration.ofSeconds(10), site))
                .plugin("sees-tls", new SeesTls(backend.port())).start();
        Path session = dir.resolve("session.pem");
        String first = sClient("-tls1_2", "-sess_out", session.toString());
        assertTrue(first.contains("New,"), first);
        String second = sClient("-tls1_2", "-sess_in", session.toString());
        assertTrue(second.contains("Reused,"), "the second handshake resumes the first one's session:\n" + second);
    }

    @Test
    void aCertificateThatExpiresWithinFourteenDaysIsWarnedAbout() throws Exception {
        TestPki.Files soon = ca.issue(TestPki.server("soon.test")
                .validity(Instant.now().minus(Duration.ofDays(80)), Instant.now().plus(Duration.ofDays(5)))).writeTo(dir, "soon");
        try (LogCapture log = LogCapture.of(ServerTls.class)) {
            proxy = InJvmProxy.builder().tls(settings(ClientAuthMode.NONE, null, Duration.ofSeconds(10), site, soon))
                    .plugin("sees-tls", new SeesTls(backend.port())).start();
            List<String> warnings = log.messages(Level.WARN);
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains("soon.test") && warnings.get(0).contains("expires on"), warnings.get(0));
        }
    }

    private String sClient(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + proxy.tlsPort(),
                "-servername", "localhost"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "openssl s_client ended");
        return out;
    }

    private static String readAll(InputStream in) throws IOException {
        try {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (java.net.SocketException reset) {
            return "";
        }
    }

    /** Polls until the labelled sample is counted: the handshake's end is recorded on the event loop. */
    private void awaitMetric(String name, String result) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Double v = proxy.metrics().registry().getSampleValue(name, new String[] {"side", "result"},
                    new String[] {"downstream", result});
            if (v != null && v > 0) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(name + "{result=" + result + "} was never counted; "
                + proxy.metrics().registry().getSampleValue(name, new String[] {"side", "result"}, new String[] {"downstream", "other"})
                + " as other");
    }
}
