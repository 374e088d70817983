package dev.turnpike.runtime.it;

import static dev.turnpike.runtime.it.TlsKit.describe;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.it.ProxyProcess.CliRun;
import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import dev.turnpike.testing.TestPki;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS listener's certificate files in the packaged proxy: replaced on disk while it serves
 * (renamed over, or a Kubernetes-style {@code ..data} symlink swap), reloaded by the 500 ms poll and
 * by SIGHUP without a failed request; a bad replacement refused with its file and reason while the
 * certificates in force keep serving; and the files a start refuses.
 *
 * <p>Two proxies for the whole class, started side by side: {@link #live} ({@code tls.provider:
 * openssl}, two event loops) serves {@code load.test} (plain files) and {@code k8s.test} (symlinks),
 * each replaced by its own test; {@link #guarded} ({@code jdk}) gets the bad replacements.
 *
 * <p>Deadlines for "the new certificate is served" are a generous 10 s, so a slow CI machine does
 * not fail them; the design target is 2 s (a 500 ms poll, acted on once the files held still for
 * one poll). The measured time is printed.
 */
class TlsReloadIT {

    static final Duration NEW_CERTIFICATE_WITHIN = Duration.ofSeconds(10);

    static final TestPki.Authority CA = TestPki.ca("Test CA");
    static final TestPki.Issued LOAD_V1 = CA.issue(TestPki.server("load.test", "localhost").commonName("load.test v1"));
    static final TestPki.Issued LOAD_V2 = CA.issue(TestPki.server("load.test", "localhost").commonName("load.test v2")
            .validity(Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(200))));
    static final TestPki.Issued K8S_V1 = CA.issue(TestPki.server("k8s.test").commonName("k8s.test v1"));
    static final TestPki.Issued K8S_V2 = CA.issue(TestPki.server("k8s.test").commonName("k8s.test v2"));
    static final TestPki.Issued GUARDED_V1 = CA.issue(TestPki.server("guarded.test").commonName("guarded.test v1"));

    @TempDir
    static Path dir;

    static TestBackend backend;
    static ProxyProcess live;
    static int liveTls;
    static TestPki.Files loadFiles;
    static Path k8sDir;
    static ProxyProcess guarded;
    static int guardedTls;
    static TestPki.Files guardedFiles;

    @BeforeAll
    static void startProxies() throws Exception {
        backend = new TestBackend("b1");
        backend.start();

        loadFiles = LOAD_V1.writeTo(Files.createDirectories(dir.resolve("load")), "tls");
        // As a Kubernetes secret volume: tls.crt -> ..data/tls.crt, ..data -> v1/
        k8sDir = Files.createDirectories(dir.resolve("k8s"));
        K8S_V1.writeTo(Files.createDirectories(k8sDir.resolve("v1")), "tls");
        Files.createSymbolicLink(k8sDir.resolve("..data"), Path.of("v1"));
        Files.createSymbolicLink(k8sDir.resolve("tls.pem"), Path.of("..data", "tls.pem"));
        Files.createSymbolicLink(k8sDir.resolve("tls.key"), Path.of("..data", "tls.key"));
        TestPki.Files k8s = new TestPki.Files(k8sDir.resolve("tls.pem"), k8sDir.resolve("tls.key"));
        liveTls = ProxyProcess.freePort();
        String liveYaml = TlsKit.serverTls(liveTls, List.of(loadFiles, k8s), "");

        guardedFiles = GUARDED_V1.writeTo(Files.createDirectories(dir.resolve("guarded-certs")), "tls");
        guardedTls = ProxyProcess.freePort();
        String guardedYaml = TlsKit.serverTls(guardedTls, List.of(guardedFiles), "");

        List<ProxyProcess> started = TlsKit.startAll(List.of(
                () -> {
                    ProxyProcess p = TlsKit.proxy(Files.createDirectories(dir.resolve("live")), backend, liveYaml, "openssl")
                            .workers(2).start();
                    TlsKit.awaitTlsPort(p, liveTls);
                    return p;
                },
                () -> {
                    ProxyProcess p = TlsKit.proxy(Files.createDirectories(dir.resolve("guarded")), backend, guardedYaml, "jdk")
                            .start();
                    TlsKit.awaitTlsPort(p, guardedTls);
                    return p;
                }));
        live = started.get(0);
        guarded = started.get(1);
    }

    @AfterAll
    static void stopProxies() {
        try {
            List<ProxyProcess> all = new ArrayList<>();
            if (live != null) {
                all.add(live);
            }
            if (guarded != null) {
                all.add(guarded);
            }
            TlsKit.closeAll(all);
        } finally {
            if (backend != null) {
                backend.close();
            }
        }
    }

    @Test
    @Timeout(90)
    void certificateRenamedOverTheOldOneUnderLoadIsServedWithoutAFailedRequest() throws Exception {
        assertEquals(LOAD_V1.certificate(), TlsKit.served(liveTls, "load.test"));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger newConnections = new AtomicInteger();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        Set<X509Certificate> seenOnNewConnections = ConcurrentHashMap.newKeySet();
        List<Thread> load = new ArrayList<>();
        // Two clients on kept-alive connections (HttpClient), two with a new connection, and so a new
        // handshake, per request (Connection: close; each thread resumes sessions where it can).
        for (int i = 0; i < 4; i++) {
            boolean keepAlive = i < 2;
            Thread t = new Thread(() -> {
                SSLContext context = CA.clientContext();
                HttpClient client = TlsKit.httpClient(context);
                while (!stop.get()) {
                    try {
                        int status;
                        if (keepAlive) {
                            HttpResponse<String> r = client.send(TlsKit.get("https://localhost:" + liveTls + "/name"),
                                    BodyHandlers.ofString());
                            status = r.statusCode();
                        } else {
                            try (SSLSocket s = TlsKit.connect(context, liveTls, "load.test")) {
                                seenOnNewConnections.add((X509Certificate) s.getSession().getPeerCertificates()[0]);
                                s.getOutputStream().write("GET /name HTTP/1.1\r\nHost: load.test\r\nConnection: close\r\n\r\n"
                                        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                                status = RawHttp.readResponse(new java.io.BufferedInputStream(s.getInputStream())).status();
                            }
                        }
                        if (status == 200) {
                            ok.incrementAndGet();
                            if (!keepAlive) {
                                newConnections.incrementAndGet();
                            }
                        } else {
                            failed.incrementAndGet();
                            failures.add((keepAlive ? "keep-alive" : "new connection") + ": status " + status);
                        }
                    } catch (Exception e) {
                        failed.incrementAndGet();
                        failures.add((keepAlive ? "keep-alive" : "new connection") + ": " + e);
                    }
                }
            }, "load-" + i);
            t.start();
            load.add(t);
        }
        try {
            awaitCount(ok, 40);

            // New files under temporary names, each renamed over the old one in one step.
            TestPki.Files next = LOAD_V2.writeTo(Files.createDirectories(dir.resolve("load-next")), "tls");
            TlsKit.replaceAtomically(next.cert(), loadFiles.cert());
            TlsKit.replaceAtomically(next.key(), loadFiles.key());
            long t0 = System.nanoTime();
            awaitServed(live, liveTls, "load.test", LOAD_V2);
            System.out.println("[tls-reload] renamed-over certificate served after " + (System.nanoTime() - t0) / 1_000_000
                    + " ms (design target 2 s)");
            int atSwap = ok.get();
            awaitCount(ok, atSwap + 40);

            // SIGHUP re-reads the (unchanged) files: also under load, also without a failed request.
            TlsKit.sighup(live);
            TlsKit.awaitLogLine(live, NEW_CERTIFICATE_WITHIN, "TLS certificates reloaded (SIGHUP)");
            awaitCount(ok, ok.get() + 40);
        } finally {
            stop.set(true);
            for (Thread t : load) {
                t.join(15_000);
            }
        }
        System.out.println("[tls-reload] under load: " + ok + " requests ok (" + newConnections + " on new connections), "
                + failed + " failed");
        assertEquals(0, failed.get(), () -> failed + " of " + (ok.get() + failed.get()) + " requests failed during the reloads, e.g. "
                + failures.subList(0, Math.min(5, failures.size())) + "\nlog:\n" + ProxyProcess.tail(live.log(), 6_000));
        assertTrue(seenOnNewConnections.contains(LOAD_V1.certificate()) && seenOnNewConnections.contains(LOAD_V2.certificate()),
                () -> "new connections were served both certificates: " + seenOnNewConnections.stream().map(TlsKit::describe).toList());
        assertEquals(LOAD_V2.certificate(), TlsKit.served(liveTls, "load.test"), "after SIGHUP, still the new certificate");

        String scraped = TlsItSupport.scrape(TlsItSupport.metricsPort(live));
        assertAll(TlsKit.lines(scraped, "turnpike_reloads_total") + "\n" + TlsKit.lines(scraped, "turnpike_tls_certificate_expiry"),
                () -> assertTrue(TlsItSupport.metric(scraped, "turnpike_reloads_total{kind=\"certificates\",result=\"ok\"}") >= 2,
                        "the file change and SIGHUP"),
                () -> assertEquals((double) LOAD_V2.certificate().getNotAfter().toInstant().getEpochSecond(),
                        TlsItSupport.metric(scraped, "turnpike_tls_certificate_expiry_seconds{name=\"load.test\"}"), "the new expiry"));
        live.assertAlive();
    }

    @Test
    @Timeout(60)
    void kubernetesStyleSymlinkSwapIsServed() throws Exception {
        assertEquals(K8S_V1.certificate(), TlsKit.served(liveTls, "k8s.test"));
        K8S_V2.writeTo(Files.createDirectories(k8sDir.resolve("v2")), "tls");
        Path tmpLink = k8sDir.resolve("..data_tmp");
        Files.createSymbolicLink(tmpLink, Path.of("v2"));
        Files.move(tmpLink, k8sDir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        assertEquals(k8sDir.resolve("v2").toRealPath(), k8sDir.resolve("..data").toRealPath(), "the swap itself");
        long t0 = System.nanoTime();
        awaitServed(live, liveTls, "k8s.test", K8S_V2);
        System.out.println("[tls-reload] symlink-swapped certificate served after " + (System.nanoTime() - t0) / 1_000_000
                + " ms (design target 2 s)");

        // The kubelet then deletes the old directory; the files in force are the new ones, so nothing changes.
        try (var old = Files.walk(k8sDir.resolve("v1"))) {
            for (Path p : old.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        RawHttp.Response r = TlsKit.requestOnNewConnection(CA.clientContext(), liveTls, "k8s.test", "/name");
        assertEquals(200, r.status());
        assertEquals(K8S_V2.certificate(), TlsKit.served(liveTls, "k8s.test"));
        live.assertAlive();
    }

    @Test
    @Timeout(60)
    void badReplacementsAreRefusedAndTheCertificateInForceKeepsServing() throws Exception {
        assertEquals(GUARDED_V1.certificate(), TlsKit.served(guardedTls, "guarded.test"));
        Path staging = Files.createDirectories(dir.resolve("guarded-next"));

        // 1. A key that is not the certificate's.
        TestPki.Files stranger = CA.issue(TestPki.server("guarded.test")).writeTo(staging, "stranger");
        TlsKit.replaceAtomically(stranger.key(), guardedFiles.key());
        String line = TlsKit.awaitLogLine(guarded, NEW_CERTIFICATE_WITHIN, "server.tls.certificates[0].key refused");
        assertAll("log line: " + line,
                () -> assertTrue(line.contains("ERROR")),
                () -> assertTrue(line.contains(guardedFiles.key().toString()), "names the file"),
                () -> assertTrue(line.contains("does not belong to the certificate"), "says why"),
                () -> assertTrue(line.contains("the certificates in force keep serving")));
        assertStillServing(GUARDED_V1);

        // 2. An expired certificate, with its own key.
        TestPki.Files expired = CA.issue(TestPki.server("guarded.test")
                .validity(Instant.now().minus(Duration.ofDays(30)), Instant.now().minus(Duration.ofDays(1)))).writeTo(staging, "expired");
        TlsKit.replaceAtomically(expired.cert(), guardedFiles.cert());
        TlsKit.replaceAtomically(expired.key(), guardedFiles.key());
        String line2 = TlsKit.awaitLogLine(guarded, NEW_CERTIFICATE_WITHIN, "server.tls.certificates[0].cert refused");
        assertAll("log line: " + line2,
                () -> assertTrue(line2.contains("ERROR")),
                () -> assertTrue(line2.contains(guardedFiles.cert().toString()), "names the file"),
                () -> assertTrue(line2.contains("the certificate expired on"), "says why"));
        assertStillServing(GUARDED_V1);
        String scraped = TlsItSupport.scrape(TlsItSupport.metricsPort(guarded));
        assertEquals(2.0, TlsItSupport.metric(scraped, "turnpike_reloads_total{kind=\"certificates\",result=\"failed\"}"),
                () -> TlsKit.lines(scraped, "turnpike_reloads_total"));

        // 3. A good pair after the refusals is taken: the watcher did not give up.
        TestPki.Issued v2 = CA.issue(TestPki.server("guarded.test").commonName("guarded.test v2"));
        TestPki.Files good = v2.writeTo(staging, "good");
        TlsKit.replaceAtomically(good.cert(), guardedFiles.cert());
        TlsKit.replaceAtomically(good.key(), guardedFiles.key());
        awaitServed(guarded, guardedTls, "guarded.test", v2);
        guarded.assertAlive();
    }

    private static void assertStillServing(TestPki.Issued inForce) throws Exception {
        X509Certificate now = TlsKit.served(guardedTls, "guarded.test");
        assertEquals(inForce.certificate(), now, () -> "the certificate in force must keep serving, got " + describe(now));
        RawHttp.Response r = TlsKit.requestOnNewConnection(CA.clientContext(), guardedTls, "guarded.test", "/name");
        assertEquals(200, r.status(), r::bodyText);
    }

    private static void awaitServed(ProxyProcess proxy, int port, String sni, TestPki.Issued expected) throws Exception {
        X509Certificate[] last = new X509Certificate[1];
        TlsKit.waitFor(NEW_CERTIFICATE_WITHIN, () -> expected.certificate().equals(last[0] = TlsKit.served(port, sni)),
                () -> "new handshakes for " + sni + " still get " + describe(last[0]) + ", not " + describe(expected.certificate())
                        + "; log:\n" + ProxyProcess.tail(proxy.log(), 6_000));
    }

    private static void awaitCount(AtomicInteger count, int atLeast) throws Exception {
        TlsKit.waitFor(Duration.ofSeconds(20), () -> count.get() >= atLeast, () -> "only " + count.get() + " requests succeeded");
    }

    // ---- refused at start ----------------------------------------------------------------------

    /** What one refused start must say on stderr besides {@code configuration refused: <config file>}. */
    record Refusal(String name, String serverTlsYaml, List<String> expected) {
    }

    @Test
    @Timeout(90)
    void badFilesAndSettingsAreRefusedAtStart() throws Exception {
        Path files = Files.createDirectories(dir.resolve("refusals"));
        TestPki.Files good = CA.issue(TestPki.server("a.test")).writeTo(files, "good");
        TestPki.Files other = CA.issue(TestPki.server("a.test")).writeTo(files, "other");
        TestPki.Files expired = CA.issue(TestPki.server("a.test")
                .validity(Instant.now().minus(Duration.ofDays(30)), Instant.now().minus(Duration.ofDays(1)))).writeTo(files, "expired");
        TestPki.Files future = CA.issue(TestPki.server("a.test")
                .validity(Instant.now().plus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(30)))).writeTo(files, "future");
        TestPki.Issued rsa = CA.issue(TestPki.server("a.test").rsa());
        TestPki.Files rsaFiles = rsa.writeTo(files, "rsa");
        Path pkcs1 = rsa.writeKeyPkcs1(files.resolve("rsa-pkcs1.key"));
        Path missing = files.resolve("missing.pem");
        TestPki.Files mismatched = new TestPki.Files(good.cert(), other.key());
        Function<List<TestPki.Files>, String> certs = list -> TlsKit.serverTls(1, list, "");

        List<Refusal> cases = List.of(
                new Refusal("missing certificate file", certs.apply(List.of(new TestPki.Files(missing, good.key()))),
                        List.of("server.tls.certificates[0].cert: " + missing + ": no such file")),
                new Refusal("key of another certificate", certs.apply(List.of(mismatched)),
                        List.of("server.tls.certificates[0].key: " + other.key() + ": this key does not belong to the certificate in "
                                + good.cert())),
                new Refusal("second entry's key of another certificate", certs.apply(List.of(good, mismatched)),
                        List.of("server.tls.certificates[1].key: " + other.key() + ": this key does not belong")),
                new Refusal("expired certificate", certs.apply(List.of(expired)),
                        List.of("server.tls.certificates[0].cert: " + expired.cert() + ": the certificate expired on")),
                new Refusal("not yet valid certificate", certs.apply(List.of(future)),
                        List.of("server.tls.certificates[0].cert: " + future.cert() + ": the certificate is not valid before")),
                new Refusal("PKCS#1 key", certs.apply(List.of(new TestPki.Files(rsaFiles.cert(), pkcs1))),
                        List.of("server.tls.certificates[0].key: " + pkcs1 + ":", "traditional RSA form", "PKCS#8")),
                new Refusal("protocols [TLSv1.1]", TlsKit.serverTls(1, List.of(good), "    protocols: [TLSv1.1]\n"),
                        List.of("server.tls.protocols[0]", "TLSv1.1 is insecure")),
                new Refusal("client_auth require without ca", TlsKit.serverTls(1, List.of(good), "    client_auth: { mode: require }\n"),
                        List.of("server.tls.client_auth.ca", "required with mode require")),
                new Refusal("client_auth ca missing", TlsKit.serverTls(1, List.of(good),
                        "    client_auth: { mode: require, ca: " + ProxyProcess.quote(missing.toString()) + " }\n"),
                        List.of("server.tls.client_auth.ca: " + missing + ": no such file")));

        // Side by side: each is a JVM start that must end in exit 1.
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<Executable>> runs = new ArrayList<>();
        try {
            int i = 0;
            for (Refusal c : cases) {
                Path caseDir = Files.createDirectories(dir.resolve("refusal-" + i++));
                Callable<Executable> run = () -> {
                    Path config = ProxyProcess.builder(caseDir).backends("127.0.0.1:9").serverYaml(c.serverTlsYaml()).writeConfig();
                    CliRun r = ProxyProcess.runCli(caseDir, Duration.ofSeconds(30), "--config", config.toString());
                    List<Executable> checks = new ArrayList<>();
                    checks.add(() -> assertEquals(1, r.exitCode(), () -> "exit code; " + r));
                    checks.add(() -> assertTrue(r.stderr().contains("configuration refused: " + config + ": "),
                            () -> "stderr names the file; " + r));
                    for (String e : c.expected()) {
                        checks.add(() -> assertTrue(r.stderr().contains(e), () -> "stderr contains '" + e + "'; " + r));
                    }
                    checks.add(() -> assertFalse(r.stdout().contains("listening"), () -> "did not listen; " + r));
                    return () -> assertAll(c.name(), checks);
                };
                runs.add(pool.submit(run));
            }
            List<Executable> all = new ArrayList<>();
            for (Future<Executable> f : runs) {
                all.add(f.get());
            }
            assertAll("refused at start", all);
        } finally {
            pool.shutdownNow();
        }
    }
}
