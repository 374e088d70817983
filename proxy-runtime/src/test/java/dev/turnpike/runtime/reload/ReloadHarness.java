package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.turnpike.runtime.Turnpike;
import dev.turnpike.runtime.config.ConfigLoader;
import dev.turnpike.runtime.plugin.TestJars;
import dev.turnpike.runtime.reload.plugins.VersionHeader;
import dev.turnpike.testing.TestBackend;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * One real, in-JVM Turnpike for the reload tests: a YAML file in a temp directory (server on a
 * free port, metrics on port 0, no access log), a plugin directory, a {@link TestBackend}, an HTTP
 * client, and what {@code dev.turnpike.runtime} logs (as formatted strings only: a kept logging
 * event would hold its arguments, plugins among them, and so their class loaders).
 */
final class ReloadHarness implements AutoCloseable {

    static final String HEADER = VersionHeader.HEADER;
    static final String PLUGIN_ID = "version-header";
    static final String JAR_NAME = "version-header.jar";

    final Path dir;
    final Path plugins;
    /** Where the tests build jars before they copy or move them into {@link #plugins}. */
    final Path jars;
    final Path config;
    final TestBackend backend = new TestBackend("b1");
    final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    final Logs logs = new Logs();
    final int port;
    Turnpike proxy;

    ReloadHarness(Path dir) throws IOException {
        this.dir = dir;
        this.plugins = Files.createDirectories(dir.resolve("plugins"));
        this.jars = Files.createDirectories(dir.resolve("jars"));
        this.config = dir.resolve("proxy.yaml");
        this.port = freePort();
        backend.start();
        Files.copy(TestJars.loadBalancerJar(), plugins.resolve("load-balancer.jar"));
    }

    /** The file, server on {@link #port} with {@code serverExtra} (keys indented by two), the given chain entries. */
    String yaml(String serverExtra, String chainEntries) {
        return "server:\n"
                + "  listen: '127.0.0.1:" + port + "'\n"
                + "  workers: 2\n"
                + serverExtra
                + "metrics:\n"
                + "  listen: '127.0.0.1:0'\n"
                + "access_log:\n"
                + "  enabled: false\n"
                + "plugins:\n"
                + "  dir: '" + plugins.toAbsolutePath() + "'\n"
                + "  chain:\n"
                + chainEntries;
    }

    String yaml(String chainEntries) {
        return yaml("", chainEntries);
    }

    /** The load-balancer entry over the test backend. */
    String loadBalancerEntry() {
        return "    - id: load-balancer\n"
                + "      config: { backends: ['127.0.0.1:" + backend.port() + "'] }\n";
    }

    /** [version-header, load-balancer]. */
    String versionHeaderChain() {
        return "    - id: " + PLUGIN_ID + "\n" + loadBalancerEntry();
    }

    /**
     * [version-header (optional), load-balancer]: for the tests that start before its jar is there,
     * or take it away and expect the chain to go on without it.
     */
    String optionalVersionHeaderChain() {
        return "    - id: " + PLUGIN_ID + "\n      optional: true\n" + loadBalancerEntry();
    }

    ReloadHarness start(String yaml) throws Exception {
        Files.writeString(config, yaml);
        proxy = Turnpike.prepare(ConfigLoader.load(config)).start();
        return this;
    }

    /** Writes the configuration the way editors do: a temp file beside it, renamed over it. */
    void editConfig(String yaml) throws IOException {
        Path tmp = dir.resolve(".proxy.yaml.swp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, config, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A version-header plugin jar for {@code version}, built in {@link #jars} (not the drop directory). */
    Path versionJar(String version) throws IOException {
        Path jar = TestJars.pluginJar(jars, "vh-" + version + ".jar", PLUGIN_ID, version, VersionHeader.class);
        assertExtensionIndex(jar, VersionHeader.class.getName());
        return jar;
    }

    static void assertExtensionIndex(Path jar, String className) throws IOException {
        try (var zip = new java.util.zip.ZipFile(jar.toFile())) {
            var idx = zip.getEntry("META-INF/extensions.idx");
            assertNotNull(idx, jar + " has no META-INF/extensions.idx");
            String text = new String(zip.getInputStream(idx).readAllBytes(), StandardCharsets.UTF_8);
            if (!text.lines().anyMatch(className::equals)) {
                fail(jar + ": extensions.idx does not list " + className + ":\n" + text);
            }
        }
    }

    /** Puts {@code jar} into the drop directory as {@code name}: a temp name there, renamed over. */
    Path moveIn(Path jar, String name) throws IOException {
        Path tmp = plugins.resolve(name + ".tmp");
        Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
        return Files.move(tmp, plugins.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Overwrites with {@code Files.copy(REPLACE_EXISTING)} (the JDK deletes the target first). */
    Path copyOver(Path jar, String name) throws IOException {
        return Files.copy(jar, plugins.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

    /** Overwrites with the cp command: the same inode, truncated and rewritten in place. */
    Path cpOver(Path jar, String name) throws IOException, InterruptedException {
        Path target = plugins.resolve(name);
        Process p = new ProcessBuilder("cp", jar.toString(), target.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "cp failed: " + out);
        return target;
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The version-header value of a GET /name, or null. */
    String versionServed() throws IOException, InterruptedException {
        HttpResponse<String> r = get("/name");
        assertEquals(200, r.statusCode(), "GET /name: " + r.body());
        List<String> values = r.headers().allValues(HEADER);
        if (values.size() > 1) {
            fail("several " + HEADER + " values: " + values);
        }
        return values.isEmpty() ? null : values.get(0);
    }

    String admin(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + proxy.metricsPort() + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return r.body();
    }

    /** {@code turnpike_reloads_total{kind,result}} as the metrics listener serves it (0 when absent). */
    double reloads(String kind, String result) throws IOException, InterruptedException {
        Matcher m = Pattern.compile("(?m)^turnpike_reloads_total\\{kind=\"" + kind + "\",result=\"" + result
                + "\",?\\} ([0-9.eE+-]+)$").matcher(admin("/metrics"));
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** Polls (every 10 ms) until {@code condition} holds; returns the milliseconds it took, or fails. */
    static long await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            Thread.sleep(10);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** Polls GET /name until it carries {@code version} (null: no header); returns ms, or fails with the log. */
    long awaitVersion(String version, Duration timeout) throws InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        String last = "(no response)";
        while (System.nanoTime() < deadline) {
            try {
                last = versionServed();
                if (java.util.Objects.equals(last, version)) {
                    return (System.nanoTime() - t0) / 1_000_000;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(10);
        }
        fail("version " + version + " not served within " + timeout.toMillis() + " ms (last: " + last + "); log:\n" + logs.dump());
        return -1;
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    /** The rate-limit jar Maven built. */
    static Path rateLimitJar() throws IOException {
        String buildDir = System.getProperty("turnpike.pluginsBuildDir");
        assertNotNull(buildDir, "turnpike.pluginsBuildDir is not set (run through Maven)");
        Path target = Paths.get(buildDir, "rate-limit", "target");
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(target, "rate-limit-*.jar")) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (!n.endsWith("-sources.jar") && !n.endsWith("-tests.jar") && !n.endsWith("-javadoc.jar")) {
                    found.add(p);
                }
            }
        }
        assertEquals(1, found.size(), "rate-limit jars in " + target + ": " + found);
        return found.get(0);
    }

    /** Writes {@code bytes} to {@code target} in {@code pieces} parts, {@code pauseMillis} apart. */
    static void writeSlowly(Path target, byte[] bytes, int pieces, long pauseMillis) throws Exception {
        try (OutputStream out = Files.newOutputStream(target)) {
            int step = (bytes.length + pieces - 1) / pieces;
            for (int off = 0; off < bytes.length; off += step) {
                out.write(bytes, off, Math.min(step, bytes.length - off));
                out.flush();
                if (off + step < bytes.length) {
                    Thread.sleep(pauseMillis);
                }
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        try {
            if (proxy != null) {
                proxy.close();
            }
        } finally {
            backend.close();
            logs.close();
        }
    }

    /** What {@code dev.turnpike.runtime} and below log, as "LEVEL Logger: message" strings. */
    static final class Logs extends AppenderBase<ILoggingEvent> implements AutoCloseable {
        private final Logger logger = (Logger) LoggerFactory.getLogger("dev.turnpike.runtime");
        private final List<String> lines = new CopyOnWriteArrayList<>();

        Logs() {
            setContext(logger.getLoggerContext());
            start();
            logger.addAppender(this);
        }

        @Override
        protected void append(ILoggingEvent e) {
            String name = e.getLoggerName();
            lines.add(e.getLevel() + " " + name.substring(name.lastIndexOf('.') + 1) + ": " + e.getFormattedMessage());
        }

        List<String> lines() {
            return List.copyOf(lines);
        }

        /** Lines containing every one of {@code parts}. */
        List<String> matching(String... parts) {
            return lines.stream().filter(l -> {
                for (String p : parts) {
                    if (!l.contains(p)) {
                        return false;
                    }
                }
                return true;
            }).collect(Collectors.toList());
        }

        int size() {
            return lines.size();
        }

        String dump() {
            List<String> all = lines();
            return String.join("\n", all.subList(Math.max(0, all.size() - 80), all.size()));
        }

        String since(int from) {
            List<String> all = lines();
            return String.join("\n", all.subList(Math.min(from, all.size()), all.size()));
        }

        @Override
        public void close() {
            logger.detachAppender(this);
            stop();
        }
    }
}
