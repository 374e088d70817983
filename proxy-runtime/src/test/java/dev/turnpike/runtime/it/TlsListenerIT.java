package dev.turnpike.runtime.it;

import static dev.turnpike.runtime.it.TlsKit.describe;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import dev.turnpike.testing.TestPki;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The TLS listener ({@code server.tls}) of the packaged proxy, from the client side: real
 * processes, real sockets, certificates made by the test ({@link TestPki}), clients in Java,
 * {@code curl} and {@code openssl s_client}. The chain is [header-injection, load-balancer], and
 * header-injection reports {@code $scheme} and the {@code $tls_*} variables to the backend
 * ({@link TlsKit#REPORTING_HEADERS}).
 *
 * <p>Every test runs against both providers ({@code tls.provider: jdk} and {@code openssl}). The
 * proxies are started once, side by side, for all tests: per provider one without client
 * authentication ({@link #PLAIN}: three certificates, {@code a.test}, {@code b.test} (also
 * {@code localhost} and {@code 127.0.0.1}; the default, index 1) and {@code *.wild.test}), one with
 * {@code client_auth: require} and one with {@code optional}.
 */
class TlsListenerIT {

    static final TestPki.Authority CA = TestPki.ca("Test CA");
    static final TestPki.Issued A = CA.issue(TestPki.server("a.test"));
    static final TestPki.Issued B = CA.issue(TestPki.server("b.test", "localhost", "127.0.0.1"));
    static final TestPki.Issued WILD = CA.issue(TestPki.server("*.wild.test"));
    static final TestPki.Authority CLIENT_CA = TestPki.ca("Client CA");
    static final TestPki.Authority OTHER_CA = TestPki.ca("Other CA");
    static final TestPki.Issued ALICE = CLIENT_CA.issue(TestPki.client("alice"));
    static final TestPki.Issued MALLORY = OTHER_CA.issue(TestPki.client("mallory"));
    static final String ALICE_SUBJECT = "CN=alice,O=Turnpike Tests";

    static final String PLAIN = "plain";
    static final String REQUIRE = "require";
    static final String OPTIONAL = "optional";

    /** A running proxy and the port of its TLS listener. */
    record Listener(ProxyProcess proxy, int tls) {
        String url(String path) {
            return "https://localhost:" + tls + path;
        }
    }

    @TempDir
    static Path dir;

    static TestBackend backend;
    static Path caPem;
    /** By "provider/kind", e.g. "jdk/plain". */
    static final Map<String, Listener> LISTENERS = new java.util.LinkedHashMap<>();

    @BeforeAll
    static void startProxies() throws Exception {
        backend = new TestBackend("b1");
        backend.start();
        caPem = CA.writeTo(dir.resolve("ca.pem"));
        Path certs = Files.createDirectories(dir.resolve("certs"));
        List<TestPki.Files> three = List.of(A.writeTo(certs, "a"), B.writeTo(certs, "b"), WILD.writeTo(certs, "wild"));
        Path clients = CLIENT_CA.writeTo(dir.resolve("clients.pem"));
        List<String> keys = new ArrayList<>();
        List<Callable<ProxyProcess>> starts = new ArrayList<>();
        Map<String, Integer> ports = new java.util.HashMap<>();
        for (String provider : List.of("jdk", "openssl")) {
            for (String kind : List.of(PLAIN, REQUIRE, OPTIONAL)) {
                String key = provider + "/" + kind;
                int port = ProxyProcess.freePort();
                String tls = kind.equals(PLAIN)
                        ? TlsKit.serverTls(port, three, "    default_certificate: 1\n")
                        : TlsKit.serverTls(port, List.of(three.get(1)),
                                "    client_auth: { mode: " + kind + ", ca: " + ProxyProcess.quote(clients.toString()) + " }\n");
                Path own = Files.createDirectories(dir.resolve(provider + "-" + kind));
                keys.add(key);
                ports.put(key, port);
                starts.add(() -> {
                    ProxyProcess p = TlsKit.proxy(own, backend, tls, provider).start();
                    TlsKit.awaitTlsPort(p, port);
                    return p;
                });
            }
        }
        List<ProxyProcess> started = TlsKit.startAll(starts);
        for (int i = 0; i < keys.size(); i++) {
            LISTENERS.put(keys.get(i), new Listener(started.get(i), ports.get(keys.get(i))));
        }
    }

    @AfterAll
    static void stopProxies() {
        try {
            TlsKit.closeAll(LISTENERS.values().stream().map(Listener::proxy).toList());
        } finally {
            if (backend != null) {
                backend.close();
            }
        }
    }

    static Listener listener(String provider, String kind) {
        return LISTENERS.get(provider + "/" + kind);
    }

    /** Issue 10 as well: each provider serves TLS 1.3 and 1.2, and the plugin sees https and the version. */
    @ParameterizedTest(name = "tls.provider: {0}")
    @ValueSource(strings = {"jdk", "openssl"})
    @Timeout(60)
    void aClientTrustingTheCaGets200(String provider) throws Exception {
        Listener l = listener(provider, PLAIN);
        ProxyProcess proxy = l.proxy();
        String expected = provider.equals("jdk") ? "TLS provider: JDK" : "TLS provider: OpenSSL";
        assertTrue(proxy.log().contains(expected), () -> "the log names the provider (" + expected + "):\n" + proxy.log());

        HttpResponse<String> r = TlsKit.httpClient(CA.clientContext()).send(TlsKit.get(l.url("/echo")), BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), () -> r.body() + "\nlog:\n" + proxy.log());
        Map<String, List<String>> got = backend.lastRequestHeaders();
        assertAll("at the backend, through TLS: " + got,
                () -> assertEquals(List.of("https"), got.get("X-Forwarded-Proto")),
                () -> assertEquals(List.of("https"), got.get("X-Scheme")),
                () -> assertEquals(List.of("TLSv1.3"), got.get("X-Tls-Protocol")),
                () -> assertTrue(got.get("X-Tls-Cipher").get(0).startsWith("TLS_"), "cipher: " + got.get("X-Tls-Cipher")),
                () -> assertEquals(List.of("[localhost]"), got.get("X-Tls-Server-Name"), "HttpClient sends the URI's host as SNI"),
                () -> assertEquals(List.of("[]"), got.get("X-Client-Subject-Bracketed"), "no client certificate"));

        HttpClient tls12 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(CA.clientContext())
                .sslParameters(new SSLParameters(null, new String[] {"TLSv1.2"})).build();
        HttpResponse<String> r12 = tls12.send(TlsKit.get(l.url("/echo")), BodyHandlers.ofString());
        assertEquals(200, r12.statusCode(), () -> r12.body() + "\nlog:\n" + proxy.log());
        assertEquals(List.of("TLSv1.2"), backend.lastRequestHeaders().get("X-Tls-Protocol"));

        HttpResponse<String> clear = HttpClient.newHttpClient().send(TlsKit.get(proxy.uri("/echo").toString()),
                BodyHandlers.ofString());
        assertEquals(200, clear.statusCode());
        assertEquals(List.of("http"), backend.lastRequestHeaders().get("X-Forwarded-Proto"), "the cleartext listener beside it");
        proxy.assertAlive();
    }

    @ParameterizedTest(name = "tls.provider: {0}")
    @ValueSource(strings = {"jdk", "openssl"})
    @Timeout(60)
    void curlWithTheCaGets200AndWithoutItRefusesTheCertificate(String provider) throws Exception {
        int tlsPort = listener(provider, PLAIN).tls();
        String url = "https://localhost:" + tlsPort + "/echo";
        String resolve = "localhost:" + tlsPort + ":127.0.0.1"; // not ::1, where nothing listens
        TlsKit.Run ok = TlsKit.run(List.of("curl", "-sS", "--cacert", caPem.toString(), "--resolve", resolve,
                "-w", "\nstatus=%{http_code}", url));
        assertEquals(0, ok.exit(), ok::toString);
        assertTrue(ok.out().endsWith("status=200"), ok::toString);
        assertTrue(ok.out().contains("\nX-Forwarded-Proto: https\n"), ok::toString);
        assertTrue(ok.out().contains("\nX-Tls-Server-Name: [localhost]\n"), () -> "curl sends SNI; " + ok);

        TlsKit.Run untrusted = TlsKit.run(List.of("curl", "-sS", "--resolve", resolve, url));
        assertEquals(60, untrusted.exit(), () -> "curl's 'peer certificate cannot be authenticated'; " + untrusted);
    }

    @ParameterizedTest(name = "tls.provider: {0}")
    @ValueSource(strings = {"jdk", "openssl"})
    @Timeout(60)
    void eachNameGetsItsOwnCertificateAndNoNameTheDefault(String provider) throws Exception {
        ProxyProcess proxy = listener(provider, PLAIN).proxy();
        int tlsPort = listener(provider, PLAIN).tls();
        record Case(String sni, TestPki.Issued expected) {
        }
        List<Case> cases = List.of(
                new Case("a.test", A),
                new Case("b.test", B),
                new Case("x.wild.test", WILD),
                new Case("X.Wild.Test", WILD),
                new Case(null, B), // no SNI: default_certificate 1
                new Case("unknown.test", B),
                new Case("deep.x.wild.test", B)); // a wildcard covers one label
        for (Case c : cases) {
            X509Certificate got = TlsKit.opensslServed(tlsPort, c.sni());
            assertEquals(c.expected().certificate(), got, () -> "SNI " + c.sni() + ": got " + describe(got) + ", expected "
                    + describe(c.expected().certificate()));
        }
        RawHttp.Response r = TlsKit.requestOnNewConnection(CA.clientContext(), tlsPort, "x.wild.test", "/echo");
        assertEquals(200, r.status());
        assertTrue(r.bodyText().contains("\nX-Tls-Server-Name: [x.wild.test]\n"), r::bodyText);
        proxy.assertAlive();
    }

    @ParameterizedTest(name = "tls.provider: {0}")
    @ValueSource(strings = {"jdk", "openssl"})
    @Timeout(60)
    void handshakesAndCertificateExpiryAreMeasured(String provider) throws Exception {
        ProxyProcess proxy = listener(provider, PLAIN).proxy();
        int tlsPort = listener(provider, PLAIN).tls();
        int metrics = TlsItSupport.metricsPort(proxy);
        String ok = "turnpike_tls_handshakes_total{side=\"downstream\",result=\"ok\"}";
        double okBefore = TlsItSupport.metric(TlsItSupport.scrape(metrics), ok);
        TlsKit.served(tlsPort, "a.test");
        TlsKit.waitFor(Duration.ofSeconds(10), () -> TlsItSupport.metric(TlsItSupport.scrape(metrics), ok) > okBefore,
                () -> TlsKit.lines(TlsItSupport.scrape(metrics), "turnpike_tls"));

        String scraped = TlsItSupport.scrape(metrics);
        assertAll("expiry by name:\n" + TlsKit.lines(scraped, "turnpike_tls_certificate_expiry_seconds"),
                () -> assertEquals((double) A.certificate().getNotAfter().toInstant().getEpochSecond(),
                        TlsItSupport.metric(scraped, "turnpike_tls_certificate_expiry_seconds{name=\"a.test\"}")),
                () -> assertEquals((double) B.certificate().getNotAfter().toInstant().getEpochSecond(),
                        TlsItSupport.metric(scraped, "turnpike_tls_certificate_expiry_seconds{name=\"localhost\"}")),
                () -> assertEquals((double) WILD.certificate().getNotAfter().toInstant().getEpochSecond(),
                        TlsItSupport.metric(scraped, "turnpike_tls_certificate_expiry_seconds{name=\"*.wild.test\"}")));
        assertTrue(scraped.contains("turnpike_tls_connections_total{side=\"downstream\",version=\"TLSv1.3\""),
                () -> TlsKit.lines(scraped, "turnpike_tls"));

        // Plain HTTP on the TLS port, then a TLS 1.1-only client: each is one failed handshake.
        double failedBefore = TlsKit.downstreamFailures(scraped);
        RawHttp.Exchange plain = RawHttp.exchange(tlsPort, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", TlsKit.REQUEST_TIMEOUT);
        assertTrue(!plain.text().contains("200"), () -> "plain HTTP on the TLS port: " + plain.text());
        TlsKit.waitFor(Duration.ofSeconds(10), () -> TlsKit.downstreamFailures(TlsItSupport.scrape(metrics)) >= failedBefore + 1,
                () -> "plain HTTP not counted as a failed handshake:\n" + TlsKit.lines(TlsItSupport.scrape(metrics), "turnpike_tls_handshakes"));

        // SECLEVEL=0: OpenSSL 3 offers TLS 1.1 only so; an OpenSSL that will not even send the hello
        // ("no protocols available") says nothing about the proxy, and this part is skipped.
        TlsKit.Run tls11 = TlsKit.run(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + tlsPort, "-servername", "a.test",
                "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"));
        assertTrue(tls11.exit() != 0 && !tls11.out().contains("BEGIN CERTIFICATE"), () -> "TLS 1.1 must not be served; " + tls11);
        double expectedFailures = failedBefore + 1;
        if (tls11.out().contains("no protocols available")) {
            System.out.println("[tls] this openssl does not offer TLS 1.1 at all; the TLS 1.1 client is not tried: " + tls11);
        } else {
            expectedFailures++;
            double wanted = expectedFailures;
            TlsKit.waitFor(Duration.ofSeconds(10), () -> TlsKit.downstreamFailures(TlsItSupport.scrape(metrics)) >= wanted,
                    () -> "a TLS 1.1 client not counted as a failed handshake; " + tls11 + "\n"
                            + TlsKit.lines(TlsItSupport.scrape(metrics), "turnpike_tls_handshakes"));
        }
        double protocolFailures = expectedFailures - failedBefore;
        String after = TlsItSupport.scrape(metrics);
        assertTrue(TlsItSupport.metric(after, "turnpike_tls_handshakes_total{side=\"downstream\",result=\"protocol\"}") >= protocolFailures,
                () -> "counted as protocol failures:\n" + TlsKit.lines(after, "turnpike_tls_handshakes"));
        proxy.assertAlive();
    }

    // ---- client certificates -------------------------------------------------------------------

    @ParameterizedTest(name = "tls.provider: {0}")
    @ValueSource(strings = {"jdk", "openssl"})
    @Timeout(60)
    void requiredClientCertificateIsCheckedAndItsSubjectReachesThePlugin(String provider) throws Exception {
        Listener l = listener(provider, REQUIRE);
        int metrics = TlsItSupport.metricsPort(l.proxy());
        IOException none = assertThrows(IOException.class,
                () -> TlsKit.httpClient(CA.clientContext()).send(TlsKit.get(l.url("/echo")), BodyHandlers.ofString()),
                "a client without a certificate must be refused");
        TlsKit.waitFor(Duration.ofSeconds(10), () -> TlsItSupport.metric(TlsItSupport.scrape(metrics), NO_CERTIFICATE) >= 1,
                () -> "counted as no_certificate (" + none + "):\n" + TlsKit.lines(TlsItSupport.scrape(metrics), "turnpike_tls_handshakes"));

        HttpResponse<String> r = TlsKit.httpClient(CA.clientContext(ALICE)).send(TlsKit.get(l.url("/echo")), BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), () -> r.body() + "\nlog:\n" + l.proxy().log());
        assertEquals(List.of(ALICE_SUBJECT), backend.lastRequestHeaders().get("X-Client-Subject"),
                () -> "the plugin sees the verified subject: " + backend.lastRequestHeaders());

        double before = TlsKit.downstreamFailures(TlsItSupport.scrape(metrics));
        double noCertBefore = TlsItSupport.metric(TlsItSupport.scrape(metrics), NO_CERTIFICATE);
        IOException foreign = assertThrows(IOException.class,
                () -> TlsKit.httpClient(TlsKit.presenting(CA, MALLORY)).send(TlsKit.get(l.url("/echo")), BodyHandlers.ofString()),
                "a certificate from another CA must be refused");
        TlsKit.waitFor(Duration.ofSeconds(10), () -> TlsKit.downstreamFailures(TlsItSupport.scrape(metrics)) > before,
                () -> "the foreign certificate counted as a failed handshake (" + foreign + "):\n"
                        + TlsKit.lines(TlsItSupport.scrape(metrics), "turnpike_tls_handshakes"));
        String scraped = TlsItSupport.scrape(metrics);
        assertEquals(noCertBefore, TlsItSupport.metric(scraped, NO_CERTIFICATE),
                () -> "a certificate was presented: the reason is not no_certificate:\n" + TlsKit.lines(scraped, "turnpike_tls_handshakes"));
        l.proxy().assertAlive();
    }

    @ParameterizedTest(name = "tls.provider: {0}")
    @ValueSource(strings = {"jdk", "openssl"})
    @Timeout(60)
    void optionalClientCertificateMayBeLeftOutButNotForged(String provider) throws Exception {
        Listener l = listener(provider, OPTIONAL);
        HttpResponse<String> anonymous = TlsKit.httpClient(CA.clientContext()).send(TlsKit.get(l.url("/echo")), BodyHandlers.ofString());
        assertEquals(200, anonymous.statusCode(), () -> anonymous.body() + "\nlog:\n" + l.proxy().log());
        assertEquals(List.of("[]"), backend.lastRequestHeaders().get("X-Client-Subject-Bracketed"), "no certificate, empty subject");

        HttpResponse<String> r = TlsKit.httpClient(CA.clientContext(ALICE)).send(TlsKit.get(l.url("/echo")), BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals(List.of(ALICE_SUBJECT), backend.lastRequestHeaders().get("X-Client-Subject"));

        assertThrows(IOException.class,
                () -> TlsKit.httpClient(TlsKit.presenting(CA, MALLORY)).send(TlsKit.get(l.url("/echo")), BodyHandlers.ofString()),
                () -> "optional is not 'anything goes': a certificate from another CA must be refused, not passed to plugins"
                        + " as a subject; the backend saw " + backend.lastRequestHeaders().get("X-Client-Subject"));
        l.proxy().assertAlive();
    }

    private static final String NO_CERTIFICATE = "turnpike_tls_handshakes_total{side=\"downstream\",result=\"no_certificate\"}";
}
