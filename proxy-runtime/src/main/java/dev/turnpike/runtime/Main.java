package dev.turnpike.runtime;

import dev.turnpike.api.ApiVersion;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.runtime.config.ConfigException;
import dev.turnpike.runtime.config.ConfigLoader;
import dev.turnpike.runtime.config.ProxyConfig;
import dev.turnpike.runtime.log.AccessLogOutput;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar turnpike.jar [--config FILE] [--check | -t] [--version]}: runs the proxy on a
 * configuration, or with {@code --check} validates it (the file, then every plugin of the chain with
 * its section, like {@code nginx -t}) and exits; {@code --version} prints the proxy's and the plugin
 * API's versions and exits.
 *
 * <p>SIGHUP reloads the configuration. SIGTERM or SIGINT stops it gracefully (see {@link Turnpike#shutdownGracefully}); a second one
 * exits at once. A signal the proxy was started with ignored (under {@code nohup}, say) stays
 * ignored, as the JVM leaves such signals alone: a WARN at start says which and what that disables.
 *
 * <p>Exit codes: 0 fine, 1 the configuration or a plugin was refused, 2 wrong usage, 3 the server
 * could not start (the listen address is taken, say).
 */
public final class Main {

    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) {
        // The test suite runs the leak detector at PARANOID and fails on any report; in production its
        // sampling and record-keeping cost CPU on every buffer, so it is off unless asked for.
        // Set before any Netty class loads, which is why it is the first thing main does.
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Path configFile = Path.of("conf/proxy.yaml");
        boolean check = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config":
                case "-c":
                    if (i + 1 >= args.length) {
                        err.println("turnpike: --config needs a file");
                        return 2;
                    }
                    configFile = Path.of(args[++i]);
                    break;
                case "--check":
                case "-t":
                    check = true;
                    break;
                case "--version":
                case "-v":
                    out.println("turnpike " + ProxyVersion.CURRENT + " (plugin API " + ApiVersion.CURRENT + ")");
                    return 0;
                case "--help":
                case "-h":
                    out.println("usage: turnpike [--config FILE] [--check] [--version]");
                    out.println("  -c, --config FILE  the configuration (default conf/proxy.yaml)");
                    out.println("  -t, --check        validate the configuration and its plugins, then exit");
                    out.println("  -v, --version      print the proxy's and the plugin API's versions, then exit");
                    out.println("  -h, --help         this text");
                    return 0;
                default:
                    err.println("turnpike: unknown argument '" + args[i] + "' (see --help)");
                    return 2;
            }
        }
        ProxyConfig config;
        try {
            config = ConfigLoader.load(configFile);
        } catch (ConfigException e) {
            err.println("turnpike: configuration refused: " + e.getMessage());
            return 1;
        }
        Turnpike proxy;
        try {
            proxy = Turnpike.prepare(config);
        } catch (InvalidConfigException e) {
            err.println("turnpike: configuration refused: " + ConfigException.of(configFile, e).getMessage());
            return 1;
        } catch (Exception e) {
            err.println("turnpike: cannot load plugins: " + e);
            return 1;
        }
        if (check) {
            // A missing required plugin was refused by prepare(), as it is for a real start.
            String chain = proxy.chainDescription();
            proxy.close();
            out.println("turnpike: configuration " + configFile + " is valid (" + chain + ")");
            return 0;
        }
        try {
            proxy.start();
        } catch (Exception e) {
            err.println("turnpike: cannot start: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            log.error("cannot start", e);
            proxy.close();
            return 3;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        java.util.List<String> ignored = new java.util.ArrayList<>();
        if (!StopSignals.onHangup(() -> proxy.reloadConfig("SIGHUP"))) {
            ignored.add("HUP");
        }
        ignored.addAll(StopSignals.onFirst(signal -> {
            log.info("{}: stopping; in-flight requests have up to {} to finish (send it again to exit now)",
                    signal, config.server().gracePeriod().toString().substring(2).toLowerCase());
            boolean clean = proxy.shutdownGracefully();
            log.info("stopped{}", clean ? "" : " (some requests were cut at the end of the grace period)");
            AccessLogOutput.flushAtExit();
            stopped.countDown();
        }));
        if (!ignored.isEmpty()) {
            log.warn(StopSignals.ignoredWarning(ignored));
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
