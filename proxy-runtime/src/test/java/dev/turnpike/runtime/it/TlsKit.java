package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import dev.turnpike.testing.TestPki;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.security.Principal;
import java.security.PrivateKey;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Helpers for the TLS listener ITs ({@link TlsListenerIT}, {@link TlsReloadIT}): the
 * {@code server.tls} YAML, a chain [header-injection, load-balancer] that reports the TLS variables
 * to the backend, handshakes that record the certificate the proxy served (Java and
 * {@code openssl s_client}), external commands, metrics, SIGHUP and atomic file replacement.
 */
final class TlsKit {

    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(15);

    /** What header-injection sends the backend: the TLS variables, each in a header of its own. */
    static final String REPORTING_HEADERS = String.join("\n",
            "request:",
            "  set:",
            "    X-Scheme: $scheme",
            "    X-Tls-Protocol: $tls_protocol",
            "    X-Tls-Cipher: $tls_cipher",
            "    X-Tls-Server-Name: '[$tls_server_name]'",
            "    X-Client-Subject: $tls_client_subject",
            "    X-Client-Subject-Bracketed: '[$tls_client_subject]'");

    private TlsKit() {
    }

    /**
     * The {@code tls:} block under {@code server:} (indented by two spaces), for
     * {@link ProxyProcess.Builder#serverYaml}.
     *
     * @param more further keys of {@code server.tls}, indented by four spaces, or ""
     */
    static String serverTls(int tlsPort, List<TestPki.Files> certificates, String more) {
        StringBuilder y = new StringBuilder()
                .append("  tls:\n")
                .append("    listen: '127.0.0.1:").append(tlsPort).append("'\n")
                .append("    certificates:\n");
        for (TestPki.Files f : certificates) {
            y.append("      - { cert: ").append(ProxyProcess.quote(f.cert().toString()))
                    .append(", key: ").append(ProxyProcess.quote(f.key().toString())).append(" }\n");
        }
        y.append(more);
        return y.toString();
    }

    /**
     * A proxy with a TLS listener on {@code tlsPort} (and the cleartext one that {@link ProxyProcess}
     * always has), the chain [header-injection ({@link #REPORTING_HEADERS}), load-balancer
     * ({@code backend})] and {@code tls.provider: provider}.
     */
    static ProxyProcess.Builder proxy(Path dir, TestBackend backend, String serverYaml, String provider) throws IOException {
        String indented = REPORTING_HEADERS.lines().map(l -> "        " + l).reduce((a, b) -> a + "\n" + b).orElseThrow();
        return ProxyProcess.builder(dir)
                .pluginJars(ProxyProcess.headerInjectionJar())
                .serverYaml(serverYaml)
                .extraYaml("tls:\n  provider: " + provider + "\n")
                .chainYaml("    - id: header-injection\n"
                        + "      config:\n"
                        + indented + "\n"
                        + ProxyProcess.chainEntries(List.of("127.0.0.1:" + backend.port())));
    }

    /** Waits (at most 10 s) until the TLS port accepts a TCP connection; it binds just after the cleartext one. */
    static void awaitTlsPort(ProxyProcess proxy, int tlsPort) throws Exception {
        waitFor(Duration.ofSeconds(10), () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", tlsPort), 500);
                return true;
            } catch (IOException notYet) {
                proxy.assertAlive();
                return false;
            }
        }, () -> "TLS port " + tlsPort + " never accepted; log:\n" + ProxyProcess.tail(proxy.log(), 6_000));
    }

    /** Starts proxies side by side (each start is mostly a JVM warming up); on a failure, stops the others. */
    static List<ProxyProcess> startAll(List<Callable<ProxyProcess>> starts) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(starts.size());
        try {
            List<Future<ProxyProcess>> futures = new ArrayList<>();
            for (Callable<ProxyProcess> s : starts) {
                futures.add(pool.submit(s));
            }
            List<ProxyProcess> started = new ArrayList<>();
            Throwable failure = null;
            for (Future<ProxyProcess> f : futures) {
                try {
                    started.add(f.get());
                } catch (ExecutionException e) {
                    failure = failure == null ? e.getCause() : failure;
                }
            }
            if (failure != null) {
                closeAll(started);
                if (failure instanceof Exception ex) {
                    throw ex;
                }
                throw new AssertionError(failure);
            }
            return started;
        } finally {
            pool.shutdown();
        }
    }

    /** {@link ProxyProcess#close()} of each, side by side; rethrows the first failure, the others suppressed. */
    static void closeAll(List<ProxyProcess> proxies) {
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (ProxyProcess p : proxies) {
            Thread t = new Thread(() -> {
                try {
                    p.close();
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (!failures.isEmpty()) {
            AssertionError first = new AssertionError(failures.get(0).getMessage(), failures.get(0));
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }

    static HttpClient httpClient(SSLContext context) {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .sslContext(context)
                .build();
    }

    static HttpRequest get(String uri) {
        return HttpRequest.newBuilder(URI.create(uri)).timeout(REQUEST_TIMEOUT).build();
    }

    // ---- handshakes ----------------------------------------------------------------------------

    /** A client context that accepts any server certificate: for handshakes that only look at what was served. */
    static SSLContext trustAll() {
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, new SecureRandom());
            return c;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A client context that trusts {@code trusted} and always presents {@code identity}, whatever
     * CAs the server asks for (the JDK's own key manager keeps back a certificate whose issuer the
     * server did not name, so a certificate from another CA would never reach the proxy).
     */
    static SSLContext presenting(TestPki.Authority trusted, TestPki.Issued identity) {
        X509ExtendedKeyManager keys = new X509ExtendedKeyManager() {
            @Override
            public String[] getClientAliases(String keyType, Principal[] issuers) {
                return new String[] {"client"};
            }

            @Override
            public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
                return "client";
            }

            @Override
            public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
                return "client";
            }

            @Override
            public String[] getServerAliases(String keyType, Principal[] issuers) {
                return null;
            }

            @Override
            public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
                return null;
            }

            @Override
            public X509Certificate[] getCertificateChain(String alias) {
                return identity.chain().toArray(X509Certificate[]::new);
            }

            @Override
            public PrivateKey getPrivateKey(String alias) {
                return identity.key();
            }
        };
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted.trustStore());
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(new KeyManager[] {keys}, tmf.getTrustManagers(), new SecureRandom());
            return c;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A TLS socket to 127.0.0.1:port, handshake done, sending {@code sni} (none when null). */
    static SSLSocket connect(SSLContext context, int port, String sni) throws IOException {
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket();
        try {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout((int) REQUEST_TIMEOUT.toMillis());
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
            s.setSSLParameters(p);
            s.startHandshake();
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /**
     * The leaf a new handshake is served now: a fresh context (so no session is resumed) that trusts
     * anything, so even a certificate that should not be served would be seen.
     */
    static X509Certificate served(int port, String sni) throws IOException {
        try (SSLSocket s = connect(trustAll(), port, sni)) {
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    /** {@code GET <path>} with {@code Connection: close} on a new TLS connection. */
    static RawHttp.Response requestOnNewConnection(SSLContext context, int port, String sni, String path) throws IOException {
        try (SSLSocket s = connect(context, port, sni)) {
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + (sni == null ? "127.0.0.1" : sni)
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return RawHttp.readResponse(new BufferedInputStream(s.getInputStream()));
        }
    }

    /**
     * The leaf {@code openssl s_client} was served, from its "Server certificate" PEM block.
     *
     * @param sni the name to send, or null for {@code -noservername}
     */
    static X509Certificate opensslServed(int port, String sni, String... more) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port));
        if (sni == null) {
            cmd.add("-noservername");
        } else {
            cmd.addAll(List.of("-servername", sni));
        }
        cmd.addAll(List.of(more));
        Run r = run(cmd);
        Matcher m = Pattern.compile("-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----").matcher(r.out());
        if (!m.find()) {
            fail("openssl s_client showed no server certificate: " + r);
        }
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(m.group().getBytes(StandardCharsets.US_ASCII)));
    }

    /** For messages: subject and serial. */
    static String describe(X509Certificate c) {
        return c.getSubjectX500Principal().getName() + " serial " + c.getSerialNumber().toString(16);
    }

    // ---- processes, files, waiting -------------------------------------------------------------

    /** What a command printed (stdout and stderr together) and its exit code. */
    record Run(List<String> command, int exit, String out) {
        @Override
        public String toString() {
            return String.join(" ", command) + " -> exit " + exit + "\n" + out;
        }
    }

    /** Runs a command with stdin closed, at most {@link #COMMAND_TIMEOUT}. */
    static Run run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = ("(cannot read: " + e + ")").getBytes(StandardCharsets.UTF_8);
            }
        });
        reader.start();
        if (!p.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            reader.join(2_000);
            fail(String.join(" ", command) + " did not finish within " + COMMAND_TIMEOUT.toSeconds() + " s");
        }
        reader.join(5_000);
        return new Run(command, p.exitValue(), new String(out[0] == null ? new byte[0] : out[0], StandardCharsets.UTF_8));
    }

    static void sighup(ProxyProcess proxy) throws Exception {
        Run r = run(List.of("kill", "-HUP", String.valueOf(proxy.process().pid())));
        assertEquals(0, r.exit(), r::toString);
    }

    /**
     * Replaces {@code target} by {@code source}'s content the way a careful deployment does: copied
     * to a temporary name beside it, then renamed over it in one step.
     */
    static void replaceAtomically(Path source, Path target) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static void waitFor(Duration limit, Callable<Boolean> condition, Supplier<String> onTimeout) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + limit.toMillis() + " ms: " + onTimeout.get());
            }
            Thread.sleep(25);
        }
    }

    /** Waits until the log has a line containing every one of {@code parts}; returns that line. */
    static String awaitLogLine(ProxyProcess proxy, Duration limit, String... parts) throws Exception {
        String[] found = new String[1];
        waitFor(limit, () -> {
            found[0] = proxy.log().lines().filter(l -> List.of(parts).stream().allMatch(l::contains)).findFirst().orElse(null);
            return found[0] != null;
        }, () -> "no log line with " + List.of(parts) + "; log:\n" + ProxyProcess.tail(proxy.log(), 6_000));
        return found[0];
    }

    // ---- metrics -------------------------------------------------------------------------------

    /** The downstream handshakes that failed, by any reason. */
    static double downstreamFailures(String scraped) {
        double sum = 0;
        for (String line : scraped.split("\n")) {
            if (line.startsWith("turnpike_tls_handshakes_total{") && line.contains("side=\"downstream\"")
                    && !line.contains("result=\"ok\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** The lines of a metric, for messages. */
    static String lines(String scraped, String name) {
        return String.join("\n", scraped.lines().filter(l -> l.startsWith(name)).toList());
    }
}
