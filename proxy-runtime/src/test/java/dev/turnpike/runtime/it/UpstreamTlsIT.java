package dev.turnpike.runtime.it;

import static dev.turnpike.runtime.it.TlsItSupport.accessLine;
import static dev.turnpike.runtime.it.TlsItSupport.metric;
import static dev.turnpike.runtime.it.TlsItSupport.metricsPort;
import static dev.turnpike.runtime.it.TlsItSupport.scrape;
import static dev.turnpike.runtime.it.TlsItSupport.seriesOf;
import static dev.turnpike.runtime.it.TlsItSupport.waitFor;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.TestPki;
import dev.turnpike.testing.TlsBackend;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TLS to backends in the packaged proxy: client → cleartext listener → proxy → real HTTPS backends
 * ({@link TlsBackend}) with certificates made by the test ({@link TestPki}). Two proxies of the same
 * configuration, one per {@code tls.provider} (openssl, jdk), serve most tests, each a parameterized
 * test run on both; a load-balancer group per case, routed by path prefix ({@code /<group>/...}). The
 * health-check test has a proxy of its own, so that its probes count in no other test's metrics.
 *
 * <p>Failure tests assert the 502, the access-log line ({@code error=tls reason="TLS handshake with backend
 * host:port failed: <reason words>"}), and that the reason's handshake counter went up. Counters and
 * backend request counts are compared before and after, as the backends serve both proxies.
 */
@Timeout(120)
class UpstreamTlsIT {

    private static final String HANDSHAKES = "turnpike_tls_handshakes_total";
    private static final String PROXY_SUBJECT = "CN=proxy,O=Turnpike Tests";

    @TempDir
    static Path dir;

    private static final List<AutoCloseable> closeAfter = new ArrayList<>();
    private static final AtomicInteger requestNumber = new AtomicInteger();
    private static final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private static TestPki.Authority ca;
    private static TestPki.Authority otherCa;
    private static TestPki.Authority clientCa;
    private static Path caFile;
    private static TestPki.Files clientFiles;

    private static TlsBackend ok;
    private static TlsBackend named;
    private static TlsBackend wrongName;
    private static TlsBackend wrongNameUnchecked;
    private static TlsBackend stranger;
    private static TlsBackend strangerUnverified;
    private static TlsBackend expired;
    private static TlsBackend mtls;
    private static TlsBackend mtls12;
    private static TlsBackend optionalMtls;
    private static TlsBackend resumable;
    private static TlsBackend twoNames;

    /** A running proxy and its metrics port. */
    private record Proxy(ProxyProcess process, int metrics) {
    }

    private static final Map<String, Proxy> proxies = new LinkedHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        Path pki = Files.createDirectories(dir.resolve("pki"));
        ca = TestPki.ca("Upstream CA");
        otherCa = TestPki.ca("Stranger CA");
        clientCa = TestPki.ca("Client CA");
        caFile = ca.writeTo(pki.resolve("ca.pem"));
        clientFiles = clientCa.issue(TestPki.client("proxy")).writeTo(pki, "proxy-client");
        TestPki.Files strangerClient = otherCa.issue(TestPki.client("stranger")).writeTo(pki, "stranger-client");
        Path garbageCert = Files.writeString(pki.resolve("garbage.pem"), "this is not PEM\n");
        Path garbageKey = Files.writeString(pki.resolve("garbage.key"), "neither is this\n");

        ok = backend(TlsBackend.builder(ca.issue(TestPki.server("localhost"))));
        named = backend(TlsBackend.builder(ca.issue(TestPki.server("other.test"))));
        wrongName = backend(TlsBackend.builder(ca.issue(TestPki.server("wrong.test"))));
        wrongNameUnchecked = backend(TlsBackend.builder(ca.issue(TestPki.server("wrong.test"))));
        stranger = backend(TlsBackend.builder(otherCa.issue(TestPki.server("localhost"))));
        strangerUnverified = backend(TlsBackend.builder(otherCa.issue(TestPki.server("localhost"))));
        Instant now = Instant.now();
        expired = backend(TlsBackend.builder(ca.issue(TestPki.server("localhost")
                .validity(now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1))))));
        mtls = backend(TlsBackend.builder(ca.issue(TestPki.server("localhost"))).requireClientCertificate(clientCa));
        mtls12 = backend(TlsBackend.builder(ca.issue(TestPki.server("localhost"))).requireClientCertificate(clientCa)
                .protocols("TLSv1.2"));
        optionalMtls = backend(TlsBackend.builder(ca.issue(TestPki.server("localhost"))).optionalClientCertificate(clientCa));
        resumable = backend(TlsBackend.builder(ca.issue(TestPki.server("wrong.test"))));
        twoNames = backend(TlsBackend.builder(ca.issue(TestPki.server("a.test"))));

        String trust = ", ca: " + q(caFile);
        String client = ", client_cert: " + q(clientFiles.cert()) + ", client_key: " + q(clientFiles.key());
        Map<String, String> groups = new LinkedHashMap<>();
        groups.put("sni", tls("localhost", ok) + trust + " }");
        groups.put("https", "{ address: 'https://localhost:" + ok.port() + "'" + trust + " }");
        groups.put("named", tls("127.0.0.1", named) + ", sni: other.test" + trust + " }");
        groups.put("wrongname", tls("localhost", wrongName) + trust + " }");
        groups.put("nohostcheck", tls("localhost", wrongNameUnchecked) + ", verify_hostname: false" + trust + " }");
        groups.put("unknownca", tls("localhost", stranger) + trust + " }");
        groups.put("noverify", tls("localhost", strangerUnverified) + ", verify: false }");
        groups.put("expired", tls("localhost", expired) + trust + " }");
        groups.put("mtls", tls("localhost", mtls) + trust + client + " }");
        groups.put("mtlsnocert", tls("localhost", mtls) + trust + " }");
        groups.put("mtlsstranger", tls("localhost", mtls) + trust
                + ", client_cert: " + q(strangerClient.cert()) + ", client_key: " + q(strangerClient.key()) + " }");
        groups.put("mtls12nocert", tls("localhost", mtls12) + trust + " }");
        groups.put("badfile", tls("localhost", ok) + trust + ", client_cert: " + q(garbageCert) + ", client_key: " + q(garbageKey) + " }");
        groups.put("poolwithcert", tls("localhost", optionalMtls) + trust + client + " }");
        groups.put("poolwithout", tls("localhost", optionalMtls) + trust + " }");
        groups.put("resumeloose", tls("localhost", resumable) + ", verify_hostname: false" + trust + " }");
        groups.put("resumestrict", tls("localhost", resumable) + trust + " }");
        groups.put("sniatest", tls("127.0.0.1", twoNames) + ", sni: a.test" + trust + " }");
        groups.put("snibtest", tls("127.0.0.1", twoNames) + ", sni: b.test" + trust + " }");
        for (String provider : List.of("openssl", "jdk")) {
            ProxyProcess p = start("shared-" + provider, groups, "tls:\n  provider: " + provider + "\n");
            proxies.put(provider, new Proxy(p, metricsPort(p)));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            for (Proxy p : proxies.values()) {
                p.process().close();
            }
        } finally {
            for (int i = closeAfter.size() - 1; i >= 0; i--) {
                closeAfter.get(i).close();
            }
        }
    }

    // ------------------------------------------------------------------ success

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void verifiedBackendGetsTheHostAsSni(String provider) throws Exception {
        Proxy p = proxies.get(provider);
        HttpResponse<String> r = get(p, "sni");
        assertEquals(200, r.statusCode(), () -> describe(r));
        assertEquals(TlsBackend.BODY, r.body());
        assertEquals("localhost", header(r, "X-Backend-Sni"), "the SNI name the backend saw");
        assertEquals("-", header(r, "X-Backend-Client"), "no client certificate was configured");
        assertTrue(header(r, "X-Backend-Protocol").startsWith("TLSv1."), () -> "protocol: " + header(r, "X-Backend-Protocol"));
        assertTrue(handshakes(p, "ok") >= 1, () -> "an upstream handshake was counted ok:\n" + seriesOf(p.metrics(), HANDSHAKES));

        HttpResponse<String> viaUrl = get(p, "https");
        assertEquals(200, viaUrl.statusCode(), () -> "https://localhost:port with ca: " + describe(viaUrl));
        assertEquals("localhost", header(viaUrl, "X-Backend-Sni"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void explicitSniNameIsSentAndVerifiedAtAnIpAddress(String provider) throws Exception {
        HttpResponse<String> r = get(proxies.get(provider), "named");
        assertEquals(200, r.statusCode(), () -> "backend with a certificate for other.test at 127.0.0.1, sni: other.test: "
                + describe(r));
        assertEquals("other.test", header(r, "X-Backend-Sni"), "the SNI name the backend saw");
    }

    // ------------------------------------------------------------------ verification failures

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void certificateForAnotherNameIsRefused(String provider) throws Exception {
        assertHandshakeRefused(proxies.get(provider), "wrongname", wrongName, "bad_name", "certificate does not match the server name");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void certificateFromAnUntrustedCaIsRefused(String provider) throws Exception {
        assertHandshakeRefused(proxies.get(provider), "unknownca", stranger, "unknown_ca", "certificate not signed by a trusted CA");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void expiredCertificateIsRefused(String provider) throws Exception {
        assertHandshakeRefused(proxies.get(provider), "expired", expired, "expired", "certificate expired");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void verifyFalseAcceptsTheUntrustedBackend(String provider) throws Exception {
        HttpResponse<String> r = get(proxies.get(provider), "noverify");
        assertEquals(200, r.statusCode(), () -> "verify: false against a certificate of another CA: " + describe(r));
        assertEquals("localhost", header(r, "X-Backend-Sni"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void verifyHostnameFalseAcceptsTheWrongName(String provider) throws Exception {
        HttpResponse<String> r = get(proxies.get(provider), "nohostcheck");
        assertEquals(200, r.statusCode(), () -> "verify_hostname: false against a certificate for wrong.test: " + describe(r));
    }

    /**
     * Two groups reach one backend (certificate for wrong.test) at localhost: first one with
     * {@code verify_hostname: false}, then one with the check on. Both peers use the same client
     * context (same trust, no client certificate), so its TLS session cache, keyed by host and port,
     * holds the first peer's session when the second connects: resuming it would skip the
     * certificate, and so the name check, the second peer asked for.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void aSessionMadeWithoutTheNameCheckIsNotResumedByAPeerWithIt(String provider) throws Exception {
        Proxy p = proxies.get(provider);
        HttpResponse<String> loose = get(p, "resumeloose");
        assertEquals(200, loose.statusCode(), () -> describe(loose));
        String series = HANDSHAKES + "{side=\"upstream\",result=\"bad_name\"}";
        double before = metric(p.metrics(), series);
        int served = resumable.requests();
        String path = path("resumestrict");
        HttpResponse<String> strict = send(p, path);
        assertEquals(502, strict.statusCode(), () -> "(" + provider + ") a peer with verify_hostname: true must not get through to a"
                + " backend whose certificate names wrong.test, not localhost, after a verify_hostname: false peer of the same"
                + " host:port had connected, by resuming that peer's TLS session (a client SslContext caches sessions by host:port,"
                + " so the hostname check must be part of which context a peer gets)."
                + " Got " + describe(strict));
        assertEquals(served, resumable.requests(), "no request reached the backend through the strict peer");
        assertTrue(metric(p.metrics(), series) >= before + 1, () -> seriesOf(p.metrics(), HANDSHAKES));
        assertTrue(accessLine(p.process(), path).contains("failed: certificate does not match the server name\""));
    }

    /** The same, across SNI names: a session for a.test is not resumed for b.test (the certificate names only a.test). */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void aSessionForOneSniNameIsNotResumedForAnother(String provider) throws Exception {
        Proxy p = proxies.get(provider);
        HttpResponse<String> a = get(p, "sniatest");
        assertEquals(200, a.statusCode(), () -> describe(a));
        assertEquals("a.test", header(a, "X-Backend-Sni"));
        HttpResponse<String> b = get(p, "snibtest");
        assertEquals(502, b.statusCode(), () -> "sni: b.test against a certificate for a.test only, after an a.test session: "
                + describe(b));
    }

    // ------------------------------------------------------------------ client certificates

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void clientCertificateIsPresented(String provider) throws Exception {
        HttpResponse<String> r = get(proxies.get(provider), "mtls");
        assertEquals(200, r.statusCode(), () -> describe(r));
        assertEquals(PROXY_SUBJECT, header(r, "X-Backend-Client"), "the client certificate the backend saw");
    }

    /**
     * A backend (TLS 1.3) requires a certificate and the proxy has none. Under TLS 1.3 the client's
     * side of the handshake is complete before the server has judged the (empty) certificate: the
     * refusal is an alert that arrives after it. The request must fail as a TLS error, and the
     * failure must be counted as a failed upstream handshake with its reason, not as ok.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void tls13BackendRequiringACertificateRefusesAProxyWithoutOne(String provider) throws Exception {
        assertClientCertificateRefused(proxies.get(provider), "mtlsnocert", mtls);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void tls13BackendRefusesAClientCertificateOfAnotherCa(String provider) throws Exception {
        assertClientCertificateRefused(proxies.get(provider), "mtlsstranger", mtls);
    }

    /** The same refusal under TLS 1.2, where it comes during the client's handshake. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void tls12BackendRequiringACertificateRefusesAProxyWithoutOne(String provider) throws Exception {
        assertClientCertificateRefused(proxies.get(provider), "mtls12nocert", mtls12);
    }

    private void assertClientCertificateRefused(Proxy p, String group, TlsBackend backend) throws Exception {
        String before = scrape(p.metrics());
        double tlsErrorsBefore = metric(before, "turnpike_request_errors_total{kind=\"tls\"}");
        double failedBefore = failedHandshakes(before);
        int failuresBefore = backend.handshakeFailures().size();
        int served = backend.requests();
        String path = path(group);
        HttpResponse<String> r = send(p, path);
        assertEquals(502, r.statusCode(), () -> describe(r));
        String line = accessLine(p.process(), path);
        assertTrue(line.contains("error=tls reason=\"TLS"), () -> "the access line names a TLS error: " + line);
        assertTrue(backend.handshakeFailures().size() > failuresBefore, () -> "the backend refused the handshake: "
                + backend.handshakeFailures());
        assertEquals(served, backend.requests(), "no request got through");
        String after = scrape(p.metrics());
        assertTrue(metric(after, "turnpike_request_errors_total{kind=\"tls\"}") >= tlsErrorsBefore + 1,
                () -> "turnpike_request_errors_total{kind=\"tls\"} counted it:\n" + seriesOf(p.metrics(), "turnpike_request_errors_total"));
        String handshakes = seriesOf(p.metrics(), HANDSHAKES);
        System.out.println(group + " via " + p.process().logFile().getParent().getFileName() + ": " + line + "\n" + handshakes);
        String prefix = "error=tls reason=\"TLS handshake with backend localhost:" + backend.port() + " failed: ";
        assertAll(
                () -> assertTrue(failedHandshakes(after) >= failedBefore + 1, () -> "the backend refused the proxy's"
                        + " certificate (or its absence): an upstream handshake must be counted with that reason (under TLS 1.3"
                        + " the backend's alert arrives after the proxy's side of the handshake completed, as the first read);"
                        + " access line: " + line + "; handshakes:\n" + handshakes),
                () -> assertTrue(line.contains(prefix), () -> "the access line must say why: expected " + prefix
                        + "<reason>...; got: " + line));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void unreadableClientCertificateFileIsAnError(String provider) throws Exception {
        Proxy p = proxies.get(provider);
        String path = path("badfile");
        HttpResponse<String> r = send(p, path);
        // The proxy's own file is at fault, not the backend: 500 of kind internal, no backend blamed.
        assertEquals(500, r.statusCode(), () -> describe(r));
        String line = accessLine(p.process(), path);
        String expected = "error=internal reason=\"TLS to backend localhost:" + ok.port() + " cannot be set up: ";
        assertTrue(line.contains(expected), () -> "the access line has " + expected + "...: " + line);
        assertTrue(line.contains("garbage.pem") || line.contains("garbage.key"), () -> "the access line names the file: " + line);
        assertTrue(metric(p.metrics(), "turnpike_upstream_connect_errors_total{backend=\"localhost:" + ok.port() + "\",reason=\"other\"}") >= 1,
                () -> seriesOf(p.metrics(), "turnpike_upstream_connect_errors_total"));
    }

    // ------------------------------------------------------------------ pooling

    /**
     * Two groups reach the same backend address, one with a client certificate and one without:
     * the pool is keyed by the whole peer, so interleaved requests never get each other's
     * connections (the backend reports the certificate of the connection), and each side reuses its
     * own: two connections for ten requests on the proxy's single event loop.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openssl", "jdk"})
    void poolIsKeyedByTlsSettingsAndReusesConnections(String provider) throws Exception {
        Proxy p = proxies.get(provider);
        String backend = "localhost:" + optionalMtls.port();
        int served = optionalMtls.requests();
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> with = get(p, "poolwithcert");
            assertEquals(200, with.statusCode(), () -> describe(with));
            assertEquals(PROXY_SUBJECT, header(with, "X-Backend-Client"),
                    "request " + i + " of the group with client_cert went on a connection that presented it");
            HttpResponse<String> without = get(p, "poolwithout");
            assertEquals(200, without.statusCode(), () -> describe(without));
            assertEquals("-", header(without, "X-Backend-Client"),
                    "request " + i + " of the group without client_cert went on a connection without one"
                            + " (a pooled connection of the other group's peer was handed out)");
        }
        String text = scrape(p.metrics());
        double fresh = metric(text, "turnpike_upstream_requests_total{backend=\"" + backend + "\",connection=\"new\"}");
        double reused = metric(text, "turnpike_upstream_requests_total{backend=\"" + backend + "\",connection=\"reused\"}");
        assertEquals(2.0, fresh, () -> "one new connection per TLS configuration:\n" + seriesOf(p.metrics(), "turnpike_upstream_requests_total"));
        assertEquals(8.0, reused, () -> "the other eight requests reused them:\n" + seriesOf(p.metrics(), "turnpike_upstream_requests_total"));
        assertEquals(served + 10, optionalMtls.requests());
    }

    // ------------------------------------------------------------------ health checks

    /**
     * Active HTTP checks over TLS: a verified backend, and one requiring the proxy's client
     * certificate, are probed (the TLS-only backend counts the probes' requests before any client
     * request) and stay up; a backend whose certificate the configured CA did not sign fails its
     * checks and is marked down.
     */
    @Test
    void healthChecksRunOverTls() throws Exception {
        TlsBackend good = backend(TlsBackend.builder(ca.issue(TestPki.server("localhost"))));
        TlsBackend goodMtls = backend(TlsBackend.builder(ca.issue(TestPki.server("localhost"))).requireClientCertificate(clientCa));
        TlsBackend untrusted = backend(TlsBackend.builder(otherCa.issue(TestPki.server("localhost"))));
        String check = "health_check: { type: http, path: /health, interval: 200ms, timeout: 2s, rise: 1, fall: 1 }";
        String trust = ", ca: " + q(caFile);
        Map<String, String> groups = new LinkedHashMap<>();
        groups.put("good", "{ address: 'localhost:" + good.port() + "', tls: true" + trust + " }\n    " + check);
        groups.put("goodmtls", "{ address: 'localhost:" + goodMtls.port() + "', tls: true" + trust
                + ", client_cert: " + q(clientFiles.cert()) + ", client_key: " + q(clientFiles.key()) + " }\n    " + check);
        groups.put("untrusted", "{ address: 'localhost:" + untrusted.port() + "', tls: true" + trust + " }\n    "
                + check + "\n    when_all_down: unavailable");
        ProxyProcess p = start("health", groups, "");
        try {
            int m = metricsPort(p);
            String untrustedUp = "turnpike_lb_backend_up{group=\"untrusted\",backend=\"localhost:" + untrusted.port() + "\"}";
            String goodOk = "turnpike_lb_health_checks_total{group=\"good\",backend=\"localhost:" + good.port() + "\",result=\"ok\"}";
            String mtlsOk = "turnpike_lb_health_checks_total{group=\"goodmtls\",backend=\"localhost:" + goodMtls.port() + "\",result=\"ok\"}";
            waitFor(Duration.ofSeconds(30), () -> {
                String t = scrape(m);
                return metric(t, goodOk) >= 3 && metric(t, mtlsOk) >= 3 && TlsItSupport.hasSeries(m, untrustedUp)
                        && metric(t, untrustedUp) == 0.0;
            }, () -> "three passed checks of each good backend and the untrusted one down; metrics:\n"
                    + seriesOf(m, "turnpike_lb_backend_up") + seriesOf(m, "turnpike_lb_health_checks_total")
                    + seriesOf(m, HANDSHAKES) + "log:\n" + ProxyProcess.tail(p.log(), 8_000));

            assertTrue(good.requests() >= 3, "the probes' requests reached the TLS backend: " + good.requests());
            assertTrue(goodMtls.requests() >= 3, "the probes presented the client certificate: " + goodMtls.requests()
                    + " requests, handshake failures " + goodMtls.handshakeFailures());
            String t = scrape(m);
            assertEquals(1.0, metric(t, "turnpike_lb_backend_up{group=\"good\",backend=\"localhost:" + good.port() + "\"}"),
                    () -> seriesOf(m, "turnpike_lb_backend_up"));
            assertEquals(1.0, metric(t, "turnpike_lb_backend_up{group=\"goodmtls\",backend=\"localhost:" + goodMtls.port() + "\"}"),
                    () -> seriesOf(m, "turnpike_lb_backend_up"));
            assertEquals(0.0, metric(t, "turnpike_lb_health_checks_total{group=\"good\",backend=\"localhost:" + good.port()
                    + "\",result=\"failed\"}"), () -> seriesOf(m, "turnpike_lb_health_checks_total"));
            assertTrue(metric(t, "turnpike_lb_health_checks_total{group=\"untrusted\",backend=\"localhost:" + untrusted.port()
                    + "\",result=\"failed\"}") >= 1, () -> seriesOf(m, "turnpike_lb_health_checks_total"));
            assertTrue(metric(t, HANDSHAKES + "{side=\"upstream\",result=\"unknown_ca\"}") >= 1, () -> seriesOf(m, HANDSHAKES));
            assertEquals(0, untrusted.requests(), "no probe request got past the handshake with the untrusted backend");
            String log = p.log();
            String down = "backend localhost:" + untrusted.port() + " of group untrusted is DOWN";
            assertTrue(log.lines().anyMatch(l -> l.contains(down) && l.contains("certificate not signed by a trusted CA")),
                    () -> "the log says " + down + " with the TLS reason:\n" + ProxyProcess.tail(log, 8_000));

            HttpResponse<String> r = client.send(HttpRequest.newBuilder(p.uri("/good/x")).timeout(Duration.ofSeconds(20)).build(),
                    BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), () -> describe(r));
            HttpResponse<String> m2 = client.send(HttpRequest.newBuilder(p.uri("/goodmtls/x")).timeout(Duration.ofSeconds(20)).build(),
                    BodyHandlers.ofString());
            assertEquals(200, m2.statusCode(), () -> describe(m2));
            assertEquals("CN=proxy,O=Turnpike Tests", header(m2, "X-Backend-Client"));
            HttpResponse<String> u = client.send(HttpRequest.newBuilder(p.uri("/untrusted/x")).timeout(Duration.ofSeconds(20)).build(),
                    BodyHandlers.ofString());
            assertEquals(503, u.statusCode(), () -> "the untrusted backend is down, when_all_down: unavailable: " + describe(u));
        } finally {
            p.close();
        }
    }

    // ------------------------------------------------------------------ helpers

    private void assertHandshakeRefused(Proxy p, String group, TlsBackend backend, String reason, String words) throws Exception {
        int metrics = p.metrics();
        String series = HANDSHAKES + "{side=\"upstream\",result=\"" + reason + "\"}";
        String before = scrape(metrics);
        int served = backend.requests();
        String connectErrors = "turnpike_upstream_connect_errors_total{backend=\"localhost:" + backend.port() + "\",reason=\"tls\"}";
        String path = path(group);
        HttpResponse<String> r = send(p, path);
        assertEquals(502, r.statusCode(), () -> describe(r));
        String line = accessLine(p.process(), path);
        String expected = "error=tls reason=\"TLS handshake with backend localhost:" + backend.port() + " failed: " + words + "\"";
        assertTrue(line.contains(expected), () -> "the access line has " + expected + ": " + line);
        assertTrue(line.contains(" status=502 "), line);
        String after = scrape(metrics);
        assertTrue(metric(after, series) >= metric(before, series) + 1, () -> series + " went up; now:\n" + seriesOf(metrics, HANDSHAKES));
        assertTrue(metric(after, connectErrors) >= metric(before, connectErrors) + 1,
                () -> connectErrors + " went up; now:\n" + seriesOf(metrics, "turnpike_upstream_connect_errors_total"));
        assertTrue(metric(after, "turnpike_request_errors_total{kind=\"tls\"}") >= 1, () -> seriesOf(metrics, "turnpike_request_errors_total"));
        assertEquals(served, backend.requests(), "no request reached a backend whose certificate was refused");
    }

    private static double handshakes(Proxy p, String result) {
        return metric(p.metrics(), HANDSHAKES + "{side=\"upstream\",result=\"" + result + "\"}");
    }

    /** The upstream handshakes counted with any result but ok. */
    private static double failedHandshakes(String text) {
        double sum = 0;
        for (String line : text.replace(",}", "}").split("\n")) {
            if (line.startsWith(HANDSHAKES + "{side=\"upstream\",") && !line.contains("result=\"ok\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** A path of {@code group} that no other request uses, so that its access-log line can be found. */
    private static String path(String group) {
        return "/" + group + "/r" + requestNumber.incrementAndGet();
    }

    private HttpResponse<String> get(Proxy p, String group) throws IOException, InterruptedException {
        return send(p, path(group));
    }

    private HttpResponse<String> send(Proxy p, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(p.process().uri(path)).timeout(Duration.ofSeconds(20)).build(), BodyHandlers.ofString());
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse("(none)");
    }

    private static String describe(HttpResponse<String> r) {
        return r.request().uri().getPath() + " got " + r.statusCode() + " " + r.headers().map() + " " + r.body();
    }

    private static TlsBackend backend(TlsBackend.Builder b) {
        TlsBackend t = b.start();
        closeAfter.add(t);
        return t;
    }

    /** The start of a TLS backend mapping at {@code host}, without its closing brace. */
    private static String tls(String host, TlsBackend b) {
        return "{ address: '" + host + ":" + b.port() + "', tls: true";
    }

    private static String q(Path p) {
        return ProxyProcess.quote(p.toAbsolutePath().toString());
    }

    /**
     * A proxy with one load-balancer group per entry of {@code groups} (name → the YAML of its one
     * backend, then optionally more lines of the group indented by four spaces), each routed by
     * {@code path_prefix: /<name>}.
     */
    private static ProxyProcess start(String name, Map<String, String> groups, String extraYaml) throws Exception {
        StringBuilder y = new StringBuilder("    - id: load-balancer\n      config:\n        groups:\n");
        StringBuilder routes = new StringBuilder("        routes:\n");
        for (Map.Entry<String, String> g : groups.entrySet()) {
            String[] lines = g.getValue().split("\n");
            y.append("          ").append(g.getKey()).append(":\n")
                    .append("            backends:\n")
                    .append("              - ").append(lines[0]).append('\n');
            for (int i = 1; i < lines.length; i++) {
                y.append("        ").append(lines[i]).append('\n');
            }
            routes.append("          - { path_prefix: /").append(g.getKey()).append(", group: ").append(g.getKey()).append(" }\n");
        }
        ProxyProcess p = ProxyProcess.builder(Files.createDirectories(dir.resolve(name)))
                .workers(1)
                .chainYaml(y.append(routes).toString())
                .extraYaml(extraYaml)
                .start();
        return p;
    }
}
