package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Debian {@code redis-server} for the process tests, on a free port (never 6379) in its own
 * directory, without persistence, driven with {@code redis-cli}: {@link #kill} (as a crash) and
 * {@link #start} again on the same port, {@link #pause} ({@code SIGSTOP}: a server that holds its
 * connections and answers nothing) and {@link #resume}. Tests skip (an assumption) when the binaries
 * are absent; {@code .ci/run} installs them.
 */
public final class RedisProcess implements AutoCloseable {

    private static final Path SERVER = Path.of("/usr/bin/redis-server");
    private static final Path CLI = Path.of("/usr/bin/redis-cli");

    private final Path dir;
    private final int port;
    private Process server;

    private RedisProcess(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Starts one; skips the calling test when redis-server or redis-cli is not installed. */
    public static RedisProcess started(Path dir) throws Exception {
        assumeTrue(Files.isExecutable(SERVER) && Files.isExecutable(CLI), "redis-server / redis-cli not installed");
        int port;
        do {
            port = ProxyProcess.freePort();
        } while (port == 6379);
        RedisProcess r = new RedisProcess(Files.createDirectories(dir), port);
        r.start();
        return r;
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** (Re)starts the server and waits, at most 10 s, until it answers PING. */
    public void start() throws Exception {
        server = new ProcessBuilder(SERVER.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cli("PING").equals("PONG")) {
            if (!server.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("redis-server did not come up on " + port + ": "
                        + Files.readString(dir.resolve("redis.log")));
            }
            Thread.sleep(10);
        }
    }

    /** SIGKILL, and waits for the process to be gone. */
    public void kill() throws InterruptedException {
        if (server != null && server.isAlive()) {
            resume();
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    public void pause() throws IOException, InterruptedException {
        signal("-STOP");
    }

    public void resume() {
        try {
            signal("-CONT");
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private void signal(String sig) throws IOException, InterruptedException {
        new ProcessBuilder("kill", sig, Long.toString(server.pid())).start().waitFor();
    }

    /** {@code redis-cli -p <port> <args>}'s output, trimmed ("" when it could not connect). */
    public String cli(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(CLI.toString(), "-h", "127.0.0.1", "-p", Integer.toString(port)));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return p.waitFor() == 0 && !out.startsWith("Could not connect") ? out : "";
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
