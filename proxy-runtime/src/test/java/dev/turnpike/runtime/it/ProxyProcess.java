package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.fail;

import dev.turnpike.testing.TestBackend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The real proxy, {@code java -jar turnpike.jar --config <file>}, as a separate JVM for the
 * integration tests (run by failsafe after {@code package}): {@link #builder(Path)} writes a YAML
 * configuration and a plugin directory holding the packaged load-balancer jar into a test's temp
 * directory, starts the process with its output in a log file there, and waits until it accepts
 * connections. The metrics listener goes on a free port, so proxies can run side by side, and the
 * process gets a {@code java.io.tmpdir} of its own there.
 *
 * <p>{@link #close()} first makes the proxy's Netty report leaks (a GC through {@code jcmd}, then
 * one request), then stops it with SIGTERM, and fails when the proxy had died on its own, needed
 * SIGKILL, logged a Netty leak ({@value #LEAK_MARKER}) or left files in its temp directory.
 *
 * <p>Also {@link #runCli} for runs that are expected to exit by themselves ({@code --check}, refused
 * configurations), with stdout and stderr kept apart; {@link Builder#writeConfig} writes a builder's
 * configuration for such a run.
 *
 * <p>System properties (set by the failsafe configuration of proxy-runtime): {@code turnpike.jar},
 * the packaged runtime; {@code turnpike.pluginsBuildDir}, the {@code plugins/} folder whose Maven
 * modules built the bundled plugin jars.
 */
public final class ProxyProcess implements AutoCloseable {

    /** The heap every proxy process gets: small, so a proxy that buffers whole bodies dies of it. */
    public static final String HEAP = "-Xmx64m";
    /** Netty's leak detector at its strictest in the proxy process too. */
    public static final String LEAK_LEVEL = "-Dio.netty.leakDetection.level=paranoid";
    /** The marker that starts each of Netty's leak reports. */
    public static final String LEAK_MARKER = "LEAK:";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final Process process;
    private final int port;
    private final Path dir;
    private final Path config;
    private final Path pluginsDir;
    private final Path log;
    private final Path tmp;
    private boolean closed;

    private ProxyProcess(Process process, int port, Path dir, Path config, Path pluginsDir, Path log, Path tmp) {
        this.process = process;
        this.port = port;
        this.dir = dir;
        this.config = config;
        this.pluginsDir = pluginsDir;
        this.log = log;
        this.tmp = tmp;
    }

    /** A proxy whose files (config, plugins, log) go in {@code dir}, e.g. a {@code @TempDir}. */
    public static Builder builder(Path dir) {
        return new Builder(dir);
    }

    /** Something to do to the plugin directory before the proxy starts. */
    @FunctionalInterface
    public interface PluginsSetup {
        void accept(Path pluginsDir) throws IOException;
    }

    /** Configures and starts a {@link ProxyProcess}. */
    public static final class Builder {
        private final Path dir;
        private int workers = 1;
        private final List<String> backends = new ArrayList<>();
        private PluginsSetup pluginsSetup = d -> { };
        private final List<String> jvmArgs = new ArrayList<>();
        private final List<Path> pluginJars = new ArrayList<>();
        private String chainYaml;
        private String extraYaml = "";
        private String serverYaml = "";
        private final List<String> ignoredSignals = new ArrayList<>();

        private Builder(Path dir) {
            this.dir = dir;
        }

        /** {@code server.workers} (default 1). */
        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        /** Adds load-balancer backends as {@code host:port}. */
        public Builder backends(String... hostPorts) {
            backends.addAll(Arrays.asList(hostPorts));
            return this;
        }

        /** Adds load-balancer backends: each started {@link TestBackend} at 127.0.0.1:its port. */
        public Builder backends(TestBackend... started) {
            for (TestBackend b : started) {
                backends.add("127.0.0.1:" + b.port());
            }
            return this;
        }

        /** More jars to copy into the plugin directory, beside the load-balancer jar. */
        public Builder pluginJars(Path... jars) {
            pluginJars.addAll(Arrays.asList(jars));
            return this;
        }

        /**
         * Replaces the chain: the YAML list items under {@code plugins.chain:}, indented by four
         * spaces, e.g. {@code "    - id: load-balancer\n      config: { backends: ['127.0.0.1:9001'] }\n"}.
         * {@link #backends} is then not used.
         */
        public Builder chainYaml(String entries) {
            this.chainYaml = entries;
            return this;
        }

        /** More keys of {@code server:}, indented by two spaces, e.g. {@code "  max_body_size: 1m\n"}. */
        public Builder serverYaml(String keys) {
            this.serverYaml = keys.endsWith("\n") || keys.isEmpty() ? keys : keys + "\n";
            return this;
        }

        /**
         * More top-level YAML, appended to the file, e.g. {@code "upstream:\n  read_timeout: 2s\n"}
         * (not {@code server:}, {@code metrics:} or {@code plugins:}, which the file has already: see
         * {@link #serverYaml}).
         */
        public Builder extraYaml(String yaml) {
            this.extraYaml = yaml.endsWith("\n") || yaml.isEmpty() ? yaml : yaml + "\n";
            return this;
        }

        /**
         * Starts the proxy with these signals ignored (e.g. {@code "HUP"}), as {@code nohup} or a
         * script's background job would: through {@code bash -c "trap '' HUP; exec java ..."}, so the
         * process is still the JVM itself. Not TERM: {@link #close} stops the proxy with it.
         */
        public Builder ignoringSignals(String... names) {
            ignoredSignals.addAll(Arrays.asList(names));
            return this;
        }

        /** Runs after the plugin jars are copied into the plugin directory, before the start. */
        public Builder pluginsDir(PluginsSetup setup) {
            this.pluginsSetup = setup;
            return this;
        }

        /** Extra JVM options, after {@link #HEAP} and {@link #LEAK_LEVEL}. */
        public Builder jvmArgs(String... args) {
            jvmArgs.addAll(Arrays.asList(args));
            return this;
        }

        /**
         * Writes the files {@link #start} would (the plugin directory and {@code proxy.yaml}, listening
         * on a free port) without starting anything, for {@link #runCli} runs of that configuration,
         * e.g. {@code --check} or a configuration the proxy must refuse.
         *
         * @return the configuration file
         */
        public Path writeConfig() throws IOException {
            return write(freePort());
        }

        private Path write(int port) throws IOException {
            Path plugins = Files.createDirectories(dir.resolve("plugins"));
            Path jar = loadBalancerJar();
            Files.copy(jar, plugins.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            for (Path extra : pluginJars) {
                Files.copy(extra, plugins.resolve(extra.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            pluginsSetup.accept(plugins);

            Path config = dir.resolve("proxy.yaml");
            String yaml = head("127.0.0.1:" + port, workers, serverYaml, plugins)
                    + (chainYaml == null ? chainEntries(backends) : chainYaml + (chainYaml.endsWith("\n") ? "" : "\n"));
            Files.writeString(config, yaml + extraYaml);
            return config;
        }

        /**
         * Writes the files, starts the process and waits (at most 30 s) until its port accepts a
         * connection. Fails with the log when the process exits first or the wait runs out.
         */
        public ProxyProcess start() throws IOException, InterruptedException {
            int port = freePort();
            Path config = write(port);
            Path plugins = dir.resolve("plugins");
            Path log = dir.resolve("proxy.log");
            Path tmp = Files.createDirectories(dir.resolve("jvm-tmp"));

            List<String> command = new ArrayList<>();
            if (!ignoredSignals.isEmpty()) {
                command.addAll(List.of("bash", "-c", "trap '' " + String.join(" ", ignoredSignals) + "; exec \"$@\"", "turnpike"));
            }
            command.add(javaBin());
            command.add(HEAP);
            command.add(LEAK_LEVEL);
            command.add("-Djava.io.tmpdir=" + tmp);
            command.addAll(jvmArgs);
            command.addAll(List.of("-jar", turnpikeJar().toString(), "--config", config.toString()));
            Process process = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            ProxyProcess proxy = new ProxyProcess(process, port, dir, config, plugins, log, tmp);
            try {
                proxy.awaitListening();
            } catch (Throwable t) {
                proxy.stop();
                throw t;
            }
            return proxy;
        }
    }

    /**
     * The YAML this helper writes: listen, workers, the metrics listener on a free port (so that
     * proxies running side by side do not fight over the default one), plugins.dir, and load-balancer
     * over {@code backends}.
     */
    public static String yaml(String listen, int workers, Path pluginsDir, List<String> backends) {
        return head(listen, workers, "", pluginsDir) + chainEntries(backends);
    }

    /** {@link #yaml} up to and including {@code plugins.chain:}, for a chain of one's own. */
    public static String head(String listen, int workers, Path pluginsDir) {
        return head(listen, workers, "", pluginsDir);
    }

    private static String head(String listen, int workers, String serverKeys, Path pluginsDir) {
        return "server:\n"
                + "  listen: " + quote(listen) + "\n"
                + "  workers: " + workers + "\n"
                + serverKeys
                + "metrics:\n"
                + "  listen: '127.0.0.1:0'\n"
                + "plugins:\n"
                + "  dir: " + quote(pluginsDir.toAbsolutePath().toString()) + "\n"
                + "  chain:\n";
    }

    /** One load-balancer chain entry over {@code backends}, indented to go under {@code plugins.chain:}. */
    public static String chainEntries(List<String> backends) {
        StringBuilder y = new StringBuilder()
                .append("    - id: load-balancer\n")
                .append("      config:\n")
                .append("        backends:\n");
        for (String b : backends) {
            y.append("          - ").append(quote(b)).append('\n');
        }
        return y.toString();
    }

    /** A YAML single-quoted scalar. */
    public static String quote(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:<port><path>}. */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    public Process process() {
        return process;
    }

    public Path config() {
        return config;
    }

    public Path pluginsDir() {
        return pluginsDir;
    }

    public Path logFile() {
        return log;
    }

    /** Everything the process has written so far (stdout and stderr together). */
    public String log() {
        return read(log);
    }

    /**
     * "is running", or "exited with N" followed by what tells why: 128+N is death by signal N
     * (143 SIGTERM, 137 SIGKILL, 134 SIGABRT); a JVM crash leaves hs_err_pid*.log in the working
     * directory, whose beginning is included.
     */
    public String state() {
        if (process.isAlive()) {
            return "is running";
        }
        StringBuilder b = new StringBuilder("exited with ").append(process.exitValue());
        if (process.exitValue() > 128) {
            b.append(" (signal ").append(process.exitValue() - 128).append(')');
        }
        Path crash = dir.resolve("hs_err_pid" + process.pid() + ".log");
        if (Files.exists(crash)) {
            String text = read(crash);
            b.append("; JVM crash report ").append(crash).append(":\n").append(text, 0, Math.min(text.length(), 6_000));
        }
        return b.toString();
    }

    /** Fails, with the end of the log, unless the process is still running. */
    public void assertAlive() {
        if (!process.isAlive()) {
            fail("the proxy " + state() + "; its log:\n" + tail(log(), 12_000));
        }
    }

    /** The process's {@code java.io.tmpdir}: a directory of its own, where it stages plugin jars. */
    public Path tmpDir() {
        return tmp;
    }

    /**
     * Stops the process (SIGTERM, up to 10 s for its shutdown hook, then SIGKILL) and fails when it
     * had exited by itself already, had to be killed, its log holds a Netty leak report, or it left files in its temp directory
     * (its plugin staging directory must go on a graceful stop). Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        boolean diedEarlier = !process.isAlive();
        boolean stoppedGracefully;
        try {
            if (!diedEarlier) {
                flushLeakReports();
            }
            stoppedGracefully = stop();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while stopping the proxy", e);
        }
        String text = log();
        if (diedEarlier) {
            fail("the proxy had exited by itself before it was stopped: " + state() + "; its log:\n"
                    + tail(text, 12_000));
        }
        List<String> leaks = text.lines().filter(l -> l.contains(LEAK_MARKER)).collect(Collectors.toList());
        if (!leaks.isEmpty()) {
            int at = text.indexOf(LEAK_MARKER);
            fail(leaks.size() + " Netty leak report(s) in the proxy log " + log + ":\n"
                    + text.substring(Math.max(0, text.lastIndexOf('\n', at) + 1),
                            Math.min(text.length(), at + 12_000)));
        }
        if (!stoppedGracefully) {
            fail("the proxy did not exit within " + STOP_TIMEOUT.toSeconds() + " s of SIGTERM and was killed; its log:\n"
                    + tail(text, 12_000));
        }
        List<Path> left = leftovers(tmp);
        if (!left.isEmpty()) {
            fail("the proxy left " + left + " in its temp directory after a graceful stop; its log:\n" + tail(text, 12_000));
        }
    }

    /** What is in {@code dir}, recursively, e.g. staging directories a process did not delete. */
    public static List<Path> leftovers(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> !f.equals(dir)).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            return List.of(dir.resolve("(cannot list: " + e + ")"));
        }
    }

    /**
     * Makes Netty in the proxy report the buffers leaked so far, as far as can be done from outside:
     * its detector notices a leaked buffer only once the garbage collector has cleared it, and
     * reports it when a later buffer is allocated. So: {@code jcmd <pid> GC.run}, then one request
     * (any answer does, even 502: the proxy allocates buffers for it). Best effort, bounded; a
     * failure here is printed, not thrown (the leak check then relies on the GCs the test caused).
     */
    public void flushLeakReports() throws InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (Files.isExecutable(jcmd)) {
            try {
                Process gc = new ProcessBuilder(jcmd.toString(), String.valueOf(process.pid()), "GC.run")
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                if (!gc.waitFor(10, TimeUnit.SECONDS)) {
                    gc.destroyForcibly();
                    System.err.println(this + ": jcmd GC.run did not finish in 10 s");
                } else if (gc.exitValue() != 0) {
                    System.err.println(this + ": jcmd GC.run exited with " + gc.exitValue());
                }
            } catch (IOException e) {
                System.err.println(this + ": cannot run jcmd: " + e);
            }
        }
        Thread.sleep(100); // the reference handler enqueues the cleared buffers' trackers
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            s.setSoTimeout(5_000);
            s.getOutputStream().write("GET /leak-probe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            s.getInputStream().readAllBytes();
        } catch (IOException e) {
            // Any outcome allocated buffers in the proxy, which is all this request is for.
        }
        Thread.sleep(200); // for the report to reach the log
    }

    /** @return whether the process exited on SIGTERM in time (else it was killed) */
    private boolean stop() throws InterruptedException {
        closed = true;
        if (!process.isAlive()) {
            return true;
        }
        process.destroy();
        if (process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            return true;
        }
        process.destroyForcibly();
        process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        return false;
    }

    private void awaitListening() throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("the proxy " + state() + " before listening on port " + port
                        + "; config:\n" + read(config) + "\nlog:\n" + tail(log(), 12_000));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            } catch (IOException notYet) {
                Thread.sleep(50);
                continue;
            }
            // The client port is bound before the rest (the metrics listener) starts: a start that
            // fails after it exits within moments. Say so here rather than as a refused request later.
            if (process.waitFor(300, TimeUnit.MILLISECONDS)) {
                fail("the proxy " + state() + " just after binding port " + port
                        + "; config:\n" + read(config) + "\nlog:\n" + tail(log(), 12_000));
            }
            return;
        }
        fail("the proxy did not accept connections on port " + port + " within " + START_TIMEOUT.toSeconds()
                + " s; log:\n" + tail(log(), 12_000));
    }

    // ---- shared helpers ------------------------------------------------------------------------

    /** A port that was free a moment ago: bound to 0 on 127.0.0.1, then released. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    /** The packaged runtime, from the system property {@code turnpike.jar}. */
    public static Path turnpikeJar() {
        String p = System.getProperty("turnpike.jar");
        if (p == null) {
            fail("system property turnpike.jar is not set (run the *IT classes through failsafe: mvn verify)");
        }
        Path jar = Path.of(p);
        if (!Files.isRegularFile(jar)) {
            fail("turnpike.jar not found at " + jar + " (is the package phase done?)");
        }
        return jar;
    }

    /** The load-balancer plugin jar that the build made: {@code <pluginsBuildDir>/load-balancer/target/load-balancer-*.jar}. */
    public static Path loadBalancerJar() throws IOException {
        return pluginJar("load-balancer");
    }

    /** The rate-limit plugin jar that the build made: {@code <pluginsBuildDir>/rate-limit/target/rate-limit-*.jar}. */
    public static Path rateLimitJar() throws IOException {
        return pluginJar("rate-limit");
    }

    /**
     * The header-injection plugin jar that the build made:
     * {@code <pluginsBuildDir>/header-injection/target/header-injection-*.jar}.
     */
    public static Path headerInjectionJar() throws IOException {
        return pluginJar("header-injection");
    }

    /**
     * The jar a bundled plugin's Maven module built: the newest
     * {@code <pluginsBuildDir>/<module>/target/<module>-*.jar} that is not a sources, tests or
     * javadoc jar. Fails when there is none.
     */
    public static Path pluginJar(String module) throws IOException {
        String p = System.getProperty("turnpike.pluginsBuildDir");
        if (p == null) {
            fail("system property turnpike.pluginsBuildDir is not set");
        }
        Path target = Path.of(p, module, "target");
        List<Path> jars = new ArrayList<>();
        if (Files.isDirectory(target)) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(target, module + "-*.jar")) {
                for (Path j : s) {
                    String n = j.getFileName().toString();
                    if (!n.endsWith("-sources.jar") && !n.endsWith("-tests.jar") && !n.endsWith("-javadoc.jar")) {
                        jars.add(j);
                    }
                }
            }
        }
        if (jars.isEmpty()) {
            fail("no " + module + "-*.jar in " + target + " (is the " + module + " module packaged?)");
        }
        jars.sort(Comparator.comparing((Path j) -> j.toFile().lastModified()).reversed());
        return jars.get(0);
    }

    /**
     * The jar a project under {@code docs/} built: {@code <docsDir>/<project>/target/<artifact>-*.jar}
     * (from the system property {@code turnpike.docsDir}). Fails when there is none.
     */
    public static Path docsJar(String project, String artifact) throws IOException {
        String p = System.getProperty("turnpike.docsDir");
        if (p == null) {
            fail("system property turnpike.docsDir is not set");
        }
        Path target = Path.of(p, project, "target");
        try (DirectoryStream<Path> s = Files.newDirectoryStream(target, artifact + "-*.jar")) {
            for (Path j : s) {
                return j;
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // reported below
        }
        return fail("no " + artifact + "-*.jar in " + target + " (is docs/" + project + " built?)");
    }

    /** The java launcher of the JVM running the tests. */
    public static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * What a run that exits by itself produced.
     *
     * @param tmpLeftovers what it left in its {@code java.io.tmpdir} (a directory of its own)
     */
    public record CliRun(int exitCode, String stdout, String stderr, Duration took, List<Path> tmpLeftovers) {
        @Override
        public String toString() {
            return "exit " + exitCode + " after " + took.toMillis() + " ms\n--- stdout:\n" + stdout + "\n--- stderr:\n" + stderr
                    + (tmpLeftovers.isEmpty() ? "" : "\n--- left in its temp dir: " + tmpLeftovers);
        }
    }

    /**
     * Runs {@code java -Xmx64m ... -jar turnpike.jar <args>} in {@code dir} and waits for it to exit,
     * at most {@code timeout} (then it is killed and the test fails).
     */
    public static CliRun runCli(Path dir, Duration timeout, String... args) throws IOException, InterruptedException {
        Path tmp = Files.createTempDirectory(dir, "cli-tmp-");
        List<String> command = new ArrayList<>(List.of(javaBin(), HEAP, LEAK_LEVEL, "-Djava.io.tmpdir=" + tmp,
                "-jar", turnpikeJar().toString()));
        command.addAll(Arrays.asList(args));
        Path out = Files.createTempFile(dir, "cli-", ".out");
        Path err = Files.createTempFile(dir, "cli-", ".err");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        p.getOutputStream().close();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            fail("turnpike " + String.join(" ", args) + " did not exit within " + timeout.toMillis() + " ms\n--- stdout:\n"
                    + read(out) + "\n--- stderr:\n" + read(err));
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        return new CliRun(p.exitValue(), read(out), read(err), took, leftovers(tmp));
    }

    /** The last {@code max} characters of {@code text}. */
    public static String tail(String text, int max) {
        return text.length() <= max ? text : "...\n" + text.substring(text.length() - max);
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    @Override
    public String toString() {
        return "ProxyProcess[127.0.0.1:" + port + ", " + dir + "]";
    }
}
