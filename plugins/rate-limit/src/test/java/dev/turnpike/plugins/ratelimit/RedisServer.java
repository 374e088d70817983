package dev.turnpike.plugins.ratelimit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real {@code redis-server} for a test: its own port (never 6379) and directory, no persistence.
 * It can be stopped and started again on the same port, paused ({@code SIGSTOP}: it accepts nothing
 * and answers nothing, as a stalled server) and resumed, and asked a command over RESP. Tests
 * skip (an assumption) when redis-server is not installed; CI installs it.
 */
final class RedisServer implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/bin/redis-server");

    private final Path dir;
    private final int port;
    private final boolean cluster;
    /** TLS only (the port then speaks nothing else): the CA that signed the server's certificate. */
    private Path ca;
    private boolean sentinel;
    private Process process;

    private RedisServer(Path dir, int port, boolean cluster) {
        this.dir = dir;
        this.port = port;
        this.cluster = cluster;
    }

    /**
     * A server that speaks TLS only, with a certificate for 127.0.0.1 signed by a CA made here with
     * the openssl command ({@link #caFile()}); skips the test when redis-server or openssl is absent.
     */
    static RedisServer startTls(Path dir) throws Exception {
        assumeTrue(Files.isExecutable(BINARY), "redis-server is not installed at " + BINARY);
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
        RedisServer r = new RedisServer(dir, freePort(), false);
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
                "-subj", "/CN=turnpike test CA");
        openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=127.0.0.1");
        Files.writeString(dir.resolve("san.cnf"), "subjectAltName=IP:127.0.0.1\n");
        openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.crt", "-days", "2", "-extfile", "san.cnf");
        r.ca = dir.resolve("ca.crt");
        r.start();
        return r;
    }

    private static void openssl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", args) + ": " + out);
        }
    }

    /** A Sentinel on a port of its own, watching {@code master} under the name {@code mymaster}. */
    static RedisServer startSentinel(Path dir, RedisServer master) throws Exception {
        RedisServer r = new RedisServer(dir, freePort(), false);
        Files.writeString(dir.resolve("sentinel.conf"), "port " + r.port + "\nbind 127.0.0.1\ndir " + dir + "\n"
                + "sentinel monitor mymaster 127.0.0.1 " + master.port + " 1\n");
        r.sentinel = true;
        r.start();
        return r;
    }

    /** The CA certificate of a {@link #startTls} server. */
    Path caFile() {
        return ca;
    }

    /** A started server in {@code dir}; skips the test when redis-server is absent. */
    static RedisServer start(Path dir) throws Exception {
        return start(dir, false);
    }

    /** With {@code cluster}: a one-node Redis Cluster holding all 16384 slots. */
    static RedisServer start(Path dir, boolean cluster) throws Exception {
        assumeTrue(Files.isExecutable(BINARY), "redis-server is not installed at " + BINARY);
        RedisServer r = new RedisServer(dir, freePort(), cluster);
        r.start();
        if (cluster) {
            r.command("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!r.command("CLUSTER", "INFO").contains("cluster_state:ok")) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the one-node cluster did not come up: " + r.command("CLUSTER", "INFO"));
                }
                Thread.sleep(20);
            }
        }
        return r;
    }

    int port() {
        return port;
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts the server (again, after {@link #stop}) and waits until it answers PING. */
    void start() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(),
                "--enable-debug-command", "local"));
        if (sentinel) {
            cmd = new ArrayList<>(List.of(BINARY.toString(), dir.resolve("sentinel.conf").toString(), "--sentinel"));
        }
        if (ca != null) {
            cmd.set(2, "0"); // no cleartext port
            cmd.addAll(List.of("--tls-port", Integer.toString(port), "--tls-cert-file", "server.crt",
                    "--tls-key-file", "server.key", "--tls-ca-cert-file", "ca.crt", "--tls-auth-clients", "no"));
        }
        if (cluster) {
            // A lone node knows no address of its own until a peer tells it; announce it, or
            // CLUSTER NODES names it ":port" and a client cannot map the slots to it.
            cmd.addAll(List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes-" + port + ".conf",
                    "--cluster-announce-ip", "127.0.0.1"));
        }
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis-" + port + ".log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                if (command("PING").equals("+PONG")) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("redis-server did not start on " + port + ": "
                        + Files.readString(dir.resolve("redis-" + port + ".log")));
            }
            Thread.sleep(10);
        }
    }

    /** Ends the server (SIGKILL: as a crash; the connection drops at once) and waits for it. */
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            resume();
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** SIGSTOP: the server holds its connections and answers nothing until {@link #resume}. */
    void pause() throws Exception {
        signal("STOP");
    }

    void resume() {
        try {
            signal("CONT");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /**
     * One command over a fresh connection; the reply's first line ({@code +OK}, {@code :3},
     * {@code -ERR ...}), or a bulk string's value (the whole text, for CLUSTER INFO), or for an array
     * its elements' values joined by newlines.
     */
    String command(String... args) throws IOException {
        try (Socket s = ca == null ? new Socket() : tlsContext().getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(5000);
            StringBuilder req = new StringBuilder("*" + args.length + "\r\n");
            for (String a : args) {
                req.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
            }
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            return reply(in);
        }
    }

    private SSLContext tlsContext() throws IOException {
        try (InputStream in = Files.newInputStream(ca)) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    private static String reply(BufferedReader in) throws IOException {
        String line = in.readLine();
        if (line == null) {
            throw new IOException("connection closed");
        }
        switch (line.charAt(0)) {
            case '$': {
                int n = Integer.parseInt(line.substring(1));
                if (n < 0) {
                    return "(nil)";
                }
                char[] buf = new char[n + 2];
                int read = 0;
                while (read < buf.length) {
                    int r = in.read(buf, read, buf.length - read);
                    if (r < 0) {
                        throw new IOException("truncated bulk string");
                    }
                    read += r;
                }
                return new String(buf, 0, n);
            }
            case '*': {
                int n = Integer.parseInt(line.substring(1));
                List<String> items = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    items.add(reply(in));
                }
                return String.join("\n", items);
            }
            default:
                return line;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private static int freePort() throws IOException {
        while (true) {
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                int p = s.getLocalPort();
                if (p != 6379) {
                    return p;
                }
            }
        }
    }
}
