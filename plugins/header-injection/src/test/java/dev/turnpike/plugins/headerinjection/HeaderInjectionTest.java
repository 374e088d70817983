package dev.turnpike.plugins.headerinjection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.TlsInfo;
import dev.turnpike.testkit.phases.Exchange;
import dev.turnpike.testkit.phases.FakeHeaders;
import dev.turnpike.testkit.phases.FakePluginContext;
import dev.turnpike.testkit.phases.FakeSession;
import dev.turnpike.testkit.phases.PhaseHarness;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The phases over a faked session: which headers go upstream and to the client. */
class HeaderInjectionTest {

    private static final Peer BACKEND = Peer.of("10.9.9.9", 8081);

    /** A TLS connection's handshake, for requests that came in over TLS without saying more. */
    private static final TlsInfo SOME_TLS = new TlsInfo("TLSv1.3", "TLS_AES_128_GCM_SHA256", null, null, List.of());

    /**
     * One request as the plugin sees it: {@code request} is the client's headers, and after
     * {@link #run} the headers that went upstream; {@code response} the headers that went back.
     */
    private static final class Req {
        final FakeSession session;
        FakeHeaders request;
        FakeHeaders response;

        Req(String peerIp, boolean tls, String version, String... headers) {
            session = FakeSession.get("/").client(peerIp, 50123).version(version).headers(headers)
                    .tls(tls ? SOME_TLS : null).requestId("req-7").peer(BACKEND);
            request = session.request().headers();
        }

        Req(String peerIp, String... headers) {
            this(peerIp, false, "HTTP/1.1", headers);
        }
    }

    private static HeaderInjection plugin(Map<String, Object> config) {
        return ConfigValidationTest.started(config);
    }

    private static Map<String, Object> forwarding(Object... switches) {
        Map<String, Object> f = new LinkedHashMap<>();
        for (int i = 0; i < switches.length; i += 2) {
            f.put((String) switches[i], switches[i + 1]);
        }
        return Map.of("forwarding", f);
    }

    private static Map<String, Object> config(Object... keyValues) {
        Map<String, Object> c = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            c.put((String) keyValues[i], keyValues[i + 1]);
        }
        return c;
    }

    /** The request through the plugin's phases, from newContext on. */
    private static Exchange<HeaderInjection.RequestValues> exchange(HeaderInjection plugin, Req r) {
        return PhaseHarness.of(plugin, new FakePluginContext()).exchange(r.session);
    }

    /** Runs both phases as the runtime would, the backend answering with two headers. */
    private static Req run(HeaderInjection plugin, Req r) {
        Exchange<HeaderInjection.RequestValues> x = exchange(plugin, r);
        assertSame(Outcome.proceed(), x.upstreamRequestFilter());
        x.backendResponds(200, "Server", "nginx/1.25", "Content-Type", "text/plain");
        assertSame(Outcome.proceed(), x.responseFilter());
        r.request = r.session.upstreamRequest().headers();
        r.response = r.session.response().headers();
        return r;
    }

    // ---- X-Forwarded-For -------------------------------------------------------------------------

    @Test
    void xffFromAnUntrustedPeerIsReplacedByThePeer() {
        HeaderInjection p = plugin(config("trusted_proxies", List.of("10.0.0.0/8")));
        Req r = run(p, new Req("192.0.2.10", "Host", "example.com", "X-Forwarded-For", "6.6.6.6, 10.0.0.1"));
        assertEquals(List.of("192.0.2.10"), r.request.getAll("X-Forwarded-For"));
    }

    @Test
    void xffWithNoTrustedProxiesConfiguredIsAlwaysReplaced() {
        Req r = run(plugin(Map.of()), new Req("10.0.0.5", "Host", "h", "X-Forwarded-For", "6.6.6.6"));
        assertEquals(List.of("10.0.0.5"), r.request.getAll("X-Forwarded-For"));
    }

    @Test
    void xffFromATrustedPeerIsAppendedTo() {
        HeaderInjection p = plugin(config("trusted_proxies", List.of("10.0.0.0/8")));
        Req r = run(p, new Req("10.0.0.5", "Host", "h", "X-Forwarded-For", "203.0.113.7"));
        assertEquals(List.of("203.0.113.7, 10.0.0.5"), r.request.getAll("X-Forwarded-For"));
    }

    @Test
    void xffFromATrustedPeerJoinsSeveralLinesIntoOne() {
        HeaderInjection p = plugin(config("trusted_proxies", List.of("10.0.0.0/8")));
        Req r = run(p, new Req("10.0.0.5", "Host", "h", "X-Forwarded-For", "198.51.100.1, 203.0.113.7",
                "X-Forwarded-For", "10.0.0.9", "X-Forwarded-For", " "));
        assertEquals(List.of("198.51.100.1, 203.0.113.7, 10.0.0.9, 10.0.0.5"), r.request.getAll("X-Forwarded-For"));
    }

    @Test
    void xffFromATrustedPeerWithoutIncomingListIsThePeer() {
        HeaderInjection p = plugin(config("trusted_proxies", List.of("10.0.0.0/8")));
        Req r = run(p, new Req("10.0.0.5", "Host", "h"));
        assertEquals(List.of("10.0.0.5"), r.request.getAll("X-Forwarded-For"));
    }

    @Test
    void xffOffLeavesTheIncomingValueAlone() {
        Req r = run(plugin(forwarding("x_forwarded_for", false)), new Req("192.0.2.10", "Host", "h", "X-Forwarded-For", "6.6.6.6"));
        assertEquals(List.of("6.6.6.6"), r.request.getAll("X-Forwarded-For"));
        Req none = run(plugin(forwarding("x_forwarded_for", false)), new Req("192.0.2.10", "Host", "h"));
        assertFalse(none.request.contains("X-Forwarded-For"));
    }

    @Test
    void ipv6PeersAreWrittenCompressed() {
        Req r = run(plugin(Map.of()), new Req("0:0:0:0:0:0:0:1", "Host", "h"));
        assertEquals("::1", r.request.get("X-Forwarded-For"));
        assertEquals("::1", r.request.get("X-Real-IP"));
    }

    // ---- X-Real-IP -------------------------------------------------------------------------------

    @Test
    void xRealIpIsThePeerWhenItIsNotTrusted() {
        HeaderInjection p = plugin(config("trusted_proxies", List.of("10.0.0.0/8")));
        Req r = run(p, new Req("192.0.2.10", "Host", "h", "X-Forwarded-For", "6.6.6.6", "X-Real-IP", "6.6.6.6"));
        assertEquals(List.of("192.0.2.10"), r.request.getAll("X-Real-IP"));
    }

    @Test
    void xRealIpIsTheRightMostUntrustedAddressBehindTrustedProxies() {
        HeaderInjection p = plugin(config("trusted_proxies", List.of("10.0.0.0/8")));
        Req r = run(p, new Req("10.0.0.5", "Host", "h", "X-Forwarded-For", "6.6.6.6, 203.0.113.7, 10.1.1.1"));
        assertEquals("203.0.113.7", r.request.get("X-Real-IP"));
    }

    @Test
    void xRealIpOff() {
        Req r = run(plugin(forwarding("x_real_ip", false)), new Req("192.0.2.10", "Host", "h"));
        assertFalse(r.request.contains("X-Real-IP"));
    }

    // ---- X-Forwarded-Proto and -Host -------------------------------------------------------------

    @Test
    void xForwardedProtoIsTheSchemeOfTheClientConnection() {
        assertEquals("http", run(plugin(Map.of()), new Req("192.0.2.10", "Host", "h")).request.get("X-Forwarded-Proto"));
        Req tls = run(plugin(Map.of()), new Req("192.0.2.10", true, "HTTP/1.1", "Host", "h"));
        assertEquals("https", tls.request.get("X-Forwarded-Proto"));
    }

    @Test
    void xForwardedProtoFromAnUntrustedPeerIsReplacedFromATrustedOneKept() {
        Map<String, Object> c = config("trusted_proxies", List.of("10.0.0.0/8"));
        Req spoofed = run(plugin(c), new Req("192.0.2.10", "Host", "h", "X-Forwarded-Proto", "https"));
        assertEquals(List.of("http"), spoofed.request.getAll("X-Forwarded-Proto"));
        Req lb = run(plugin(c), new Req("10.0.0.5", "Host", "h", "X-Forwarded-Proto", "https"));
        assertEquals(List.of("https"), lb.request.getAll("X-Forwarded-Proto"));
    }

    @Test
    void xForwardedProtoOff() {
        Req r = run(plugin(forwarding("x_forwarded_proto", false)), new Req("192.0.2.10", "Host", "h"));
        assertFalse(r.request.contains("X-Forwarded-Proto"));
    }

    @Test
    void xForwardedHostIsTheClientsHost() {
        Req r = run(plugin(Map.of()), new Req("192.0.2.10", "Host", "example.com:8080", "X-Forwarded-Host", "evil.example"));
        assertEquals(List.of("example.com:8080"), r.request.getAll("X-Forwarded-Host"));
    }

    @Test
    void xForwardedHostFromATrustedPeerIsKept() {
        Req r = run(plugin(config("trusted_proxies", List.of("10.0.0.0/8"))),
                new Req("10.0.0.5", "Host", "internal:8080", "X-Forwarded-Host", "www.example.com"));
        assertEquals(List.of("www.example.com"), r.request.getAll("X-Forwarded-Host"));
    }

    @Test
    void xForwardedHostWithoutAHostIsRemoved() {
        Req r = run(plugin(Map.of()), new Req("192.0.2.10", false, "HTTP/1.0", "X-Forwarded-Host", "evil"));
        assertFalse(r.request.contains("X-Forwarded-Host"));
    }

    @Test
    void xForwardedHostOff() {
        Req r = run(plugin(forwarding("x_forwarded_host", false)), new Req("192.0.2.10", "Host", "h"));
        assertFalse(r.request.contains("X-Forwarded-Host"));
    }

    // ---- Via -------------------------------------------------------------------------------------

    @Test
    void viaIsAddedWithTheClientsProtocolVersion() {
        assertEquals("1.1 turnpike", run(plugin(Map.of()), new Req("192.0.2.10", "Host", "h")).request.get("Via"));
        Req old = run(plugin(Map.of()), new Req("192.0.2.10", false, "HTTP/1.0"));
        assertEquals("1.0 turnpike", old.request.get("Via"));
    }

    @Test
    void viaIsAppendedToAnExistingOne() {
        Req r = run(plugin(Map.of()), new Req("192.0.2.10", "Host", "h", "Via", "1.1 edge", "Via", "1.0 fred"));
        assertEquals(List.of("1.1 edge, 1.0 fred, 1.1 turnpike"), r.request.getAll("Via"));
    }

    @Test
    void viaOff() {
        Req r = run(plugin(forwarding("via", false)), new Req("192.0.2.10", "Host", "h", "Via", "1.1 edge"));
        assertEquals(List.of("1.1 edge"), r.request.getAll("Via"));
    }

    // ---- Forwarded (RFC 7239) --------------------------------------------------------------------

    @Test
    void forwardedIsOffByDefault() {
        Req r = run(plugin(Map.of()), new Req("192.0.2.10", "Host", "h", "Forwarded", "for=6.6.6.6"));
        assertEquals(List.of("for=6.6.6.6"), r.request.getAll("Forwarded"));
    }

    @Test
    void forwardedNamesPeerProtoAndHost() {
        Req r = run(plugin(forwarding("forwarded", true)), new Req("192.0.2.10", "Host", "example.com"));
        assertEquals("for=192.0.2.10;proto=http;host=example.com", r.request.get("Forwarded"));
    }

    @Test
    void forwardedQuotesIpv6AndAHostWithAPort() {
        Req r = run(plugin(forwarding("forwarded", true)),
                new Req("2001:db8:0:0:0:0:0:1", true, "HTTP/1.1", "Host", "example.com:8443"));
        assertEquals("for=\"[2001:db8::1]\";proto=https;host=\"example.com:8443\"", r.request.get("Forwarded"));
    }

    @Test
    void forwardedWithoutAHostLeavesHostOut() {
        Req r = run(plugin(forwarding("forwarded", true)), new Req("192.0.2.10", false, "HTTP/1.0"));
        assertEquals("for=192.0.2.10;proto=http", r.request.get("Forwarded"));
    }

    @Test
    void forwardedFromAnUntrustedPeerIsReplacedFromATrustedOneAppended() {
        Map<String, Object> c = config("trusted_proxies", List.of("10.0.0.0/8"), "forwarding", Map.of("forwarded", true));
        Req spoofed = run(plugin(c), new Req("192.0.2.10", "Host", "h", "Forwarded", "for=6.6.6.6"));
        assertEquals(List.of("for=192.0.2.10;proto=http;host=h"), spoofed.request.getAll("Forwarded"));
        Req lb = run(plugin(c), new Req("10.0.0.5", "Host", "h", "Forwarded", "for=203.0.113.7;proto=https"));
        assertEquals(List.of("for=203.0.113.7;proto=https, for=10.0.0.5;proto=http;host=h"), lb.request.getAll("Forwarded"));
    }

    // ---- configured edits ------------------------------------------------------------------------

    @Test
    void requestEditsSetAddAndRemoveWithVariables() {
        Map<String, Object> request = Map.of(
                "set", Map.of("X-Proxy", "turnpike", "X-Request-Id", "$request_id", "X-Origin", "$scheme://$host"),
                "add", Map.of("X-Tag", List.of("a", "b-$backend")),
                "remove", List.of("X-Debug", "Cookie"));
        Req r = run(plugin(Map.of("request", request)),
                new Req("192.0.2.10", "Host", "example.com", "X-Debug", "1", "Cookie", "c=1", "X-Tag", "incoming",
                        "X-Proxy", "other"));
        assertEquals(List.of("turnpike"), r.request.getAll("X-Proxy"));
        assertEquals("req-7", r.request.get("X-Request-Id"));
        assertEquals("http://example.com", r.request.get("X-Origin"));
        assertEquals(List.of("incoming", "a", "b-10.9.9.9:8081"), r.request.getAll("X-Tag"));
        assertFalse(r.request.contains("X-Debug"));
        assertFalse(r.request.contains("Cookie"));
    }

    @Test
    void requestEditsComeAfterTheForwardingHeadersSoTheyHaveTheLastWord() {
        Map<String, Object> c = config("request", Map.of("remove", List.of("X-Real-IP"), "set", Map.of("Via", "custom")));
        Req r = run(plugin(c), new Req("192.0.2.10", "Host", "h"));
        assertFalse(r.request.contains("X-Real-IP"));
        assertEquals(List.of("custom"), r.request.getAll("Via"));
    }

    @Test
    void removeComesBeforeAddSoTogetherTheyReplaceWithSeveralValues() {
        Map<String, Object> c = config("request", Map.of("remove", List.of("X-Tag"), "add", Map.of("X-Tag", List.of("a", "b"))));
        Req r = run(plugin(c), new Req("192.0.2.10", "Host", "h", "X-Tag", "old"));
        assertEquals(List.of("a", "b"), r.request.getAll("X-Tag"));
    }

    @Test
    void clientIpInARequestValueIsTheResolvedClient() {
        Map<String, Object> c = config("trusted_proxies", List.of("10.0.0.0/8"),
                "forwarding", Map.of("x_real_ip", false, "x_forwarded_for", false),
                "request", Map.of("set", Map.of("X-Client", "$client_ip")));
        Req r = run(plugin(c), new Req("10.0.0.5", "Host", "h", "X-Forwarded-For", "203.0.113.7"));
        assertEquals("203.0.113.7", r.request.get("X-Client"));
    }

    @Test
    void responseEditsSetAddAndRemove() {
        Map<String, Object> response = Map.of(
                "set", Map.of("X-Backend", "$backend"),
                "add", Map.of("X-Served-By", "turnpike"),
                "remove", List.of("Server"));
        Req r = run(plugin(Map.of("response", response)), new Req("192.0.2.10", "Host", "h"));
        assertEquals("10.9.9.9:8081", r.response.get("X-Backend"));
        assertEquals("turnpike", r.response.get("X-Served-By"));
        assertFalse(r.response.contains("Server"));
        assertEquals("text/plain", r.response.get("Content-Type"), "other headers untouched");
    }

    @Test
    void responseValuesSeeTheClientAndHostAsTheyWereUpstreamBeforeAnyEdit() {
        Map<String, Object> c = config("trusted_proxies", List.of("10.0.0.0/8"),
                "request", Map.of("set", Map.of("Host", "internal.backend", "X-Forwarded-For", "1.1.1.1")),
                "response", Map.of("set", Map.of("X-Client", "$client_ip", "X-Host", "$host")));
        Req r = new Req("10.0.0.5", "Host", "www.example.com", "X-Forwarded-For", "203.0.113.7");
        Exchange<HeaderInjection.RequestValues> x = exchange(plugin(c), r);
        assertNotNull(x.context());
        x.upstreamRequestFilter();
        assertEquals("internal.backend", r.session.upstreamRequest().headers().get("Host"));
        x.backendResponds(200);
        x.responseFilter();
        assertEquals("203.0.113.7", r.session.response().headers().get("X-Client"));
        assertEquals("www.example.com", r.session.response().headers().get("X-Host"));
    }

    @Test
    void noContextWhenTheResponseNeedsNothingFromTheRequest() {
        HeaderInjection p = plugin(Map.of("response", Map.of("set", Map.of("X-Backend", "$backend"))));
        assertNull(p.newContext(new Req("192.0.2.10", "Host", "h").session));
    }

    @Test
    void everythingOffAndNoEditsLeavesTheRequestAsItWas() {
        HeaderInjection p = plugin(forwarding("x_forwarded_for", false, "x_real_ip", false, "x_forwarded_proto", false,
                "x_forwarded_host", false, "via", false, "forwarded", false));
        Req r = run(p, new Req("192.0.2.10", "Host", "h", "X-Forwarded-For", "6.6.6.6"));
        assertEquals("[Host=h, X-Forwarded-For=6.6.6.6]", r.request.toString());
        assertEquals(2, r.response.size());
    }

    @Test
    void aResponseFilterWithoutAResponseDoesNothing() {
        HeaderInjection p = plugin(Map.of("response", Map.of("set", Map.of("X-A", "b"))));
        assertSame(Outcome.proceed(), p.responseFilter(FakeSession.get("/"), null));
    }

    @Test
    void oneInstanceServesManyThreadsAtOnce() throws Exception {
        HeaderInjection p = plugin(config("trusted_proxies", List.of("10.0.0.0/8"),
                "forwarding", Map.of("forwarded", true),
                "request", Map.of("set", Map.of("X-Id", "$request_id/$client_ip")),
                "response", Map.of("set", Map.of("X-Client", "$client_ip"))));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        String client = "203.0." + thread + "." + (i % 250);
                        Req r = run(p, new Req("10.0.0.1", "Host", "h", "X-Forwarded-For", client));
                        assertEquals(client + ", 10.0.0.1", r.request.get("X-Forwarded-For"));
                        assertEquals("req-7/" + client, r.request.get("X-Id"));
                        assertEquals(client, r.response.get("X-Client"));
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void beforeStartItAddsTheDefaultForwardingHeaders() {
        Req r = run(new HeaderInjection(), new Req("192.0.2.10", "Host", "h"));
        assertEquals("192.0.2.10", r.request.get("X-Forwarded-For"));
        assertEquals("1.1 turnpike", r.request.get("Via"));
    }

    // ---- TLS variables -------------------------------------------------------------------------

    private static final TlsInfo ALICE = new TlsInfo("TLSv1.3", "TLS_AES_256_GCM_SHA384", "api.example.com",
            "CN=alice,OU=Staff,O=Example", List.of("alice@example.com"));

    /** A request on a TLS connection with {@code info} ({@code null}: cleartext). */
    private static Req onTls(TlsInfo info, String... headers) {
        Req r = new Req("192.0.2.10", info != null, "HTTP/1.1", headers);
        r.session.tls(info);
        return r;
    }

    private static Map<String, Object> tlsHeaders() {
        return Map.of("request", Map.of("set", Map.of(
                "X-Client-DN", "$tls_client_subject",
                "X-TLS", "$tls_protocol $tls_cipher",
                "X-SNI", "$tls_server_name")));
    }

    @Test
    void requestEditsCarryTheTlsValuesOfTheClientConnection() {
        Req r = run(plugin(tlsHeaders()), onTls(ALICE, "Host", "api.example.com"));
        assertEquals("CN=alice,OU=Staff,O=Example", r.request.get("X-Client-DN"));
        assertEquals("TLSv1.3 TLS_AES_256_GCM_SHA384", r.request.get("X-TLS"));
        assertEquals("api.example.com", r.request.get("X-SNI"));
        assertEquals("https", r.request.get("X-Forwarded-Proto"));
    }

    @Test
    void aClientsOwnCertificateHeaderNeverSurvives() {
        // A spoofed subject is replaced: by the real one, or by nothing when there is no certificate.
        Req withCert = run(plugin(tlsHeaders()), onTls(ALICE, "Host", "h", "X-Client-DN", "CN=admin"));
        assertEquals(List.of("CN=alice,OU=Staff,O=Example"), withCert.request.getAll("X-Client-DN"));
        TlsInfo noCert = new TlsInfo("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", null, null, List.of());
        Req without = run(plugin(tlsHeaders()), onTls(noCert, "Host", "h", "X-Client-DN", "CN=admin"));
        assertEquals(List.of(""), without.request.getAll("X-Client-DN"));
        assertEquals("", without.request.get("X-SNI"));
        Req cleartext = run(plugin(tlsHeaders()), onTls(null, "Host", "h", "X-Client-DN", "CN=admin", "X-TLS", "TLSv1.3 x"));
        assertEquals(List.of(""), cleartext.request.getAll("X-Client-DN"));
        assertEquals(List.of(" "), cleartext.request.getAll("X-TLS"), "two empty values and the literal space between");
        assertEquals("http", cleartext.request.get("X-Forwarded-Proto"));
    }

    @Test
    void responseEditsCanUseTheTlsValuesToo() {
        Map<String, Object> c = Map.of("response", Map.of("set", Map.of("X-Served-Over", "$tls_protocol")));
        HeaderInjection p = plugin(c);
        assertNull(p.newContext(onTls(ALICE).session), "TLS values are read from the session: no context needed");
        Req r = run(p, onTls(ALICE, "Host", "h"));
        assertEquals("TLSv1.3", r.response.get("X-Served-Over"));
        Req plain = run(p, onTls(null, "Host", "h"));
        assertEquals("", plain.response.get("X-Served-Over"));
    }
}
