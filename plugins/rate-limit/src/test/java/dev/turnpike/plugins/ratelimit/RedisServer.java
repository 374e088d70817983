package dev.turnpike.plugins.ratelimit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
    private Process process;

    private RedisServer(Path dir, int port, boolean cluster) {
        this.dir = dir;
        this.port = port;
        this.cluster = cluster;
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
        try (Socket s = new Socket()) {
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
