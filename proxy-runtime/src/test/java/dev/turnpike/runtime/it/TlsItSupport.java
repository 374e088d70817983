package dev.turnpike.runtime.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the TLS integration tests need beside {@link ProxyProcess}: the proxy's metrics port (from
 * its log), single series off {@code /metrics}, its access-log line for a path, and bounded waits
 * (a wait that runs out fails with what was seen; how long it took is never asserted).
 */
final class TlsItSupport {

    private static final Pattern METRICS_PORT = Pattern.compile("metrics on http://[^:]+:(\\d+)/metrics");
    private static final Pattern TLS_PORT = Pattern.compile("listening for TLS on [^\\s]*:(\\d+)");
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private TlsItSupport() {
    }

    /** The port of the proxy's metrics listener (it listens on port 0: the log says which). */
    static int metricsPort(ProxyProcess p) throws InterruptedException {
        return logPort(p, METRICS_PORT, "the metrics listener");
    }

    /** Waits until the log says the TLS listener is bound; @return its port. */
    static int tlsPort(ProxyProcess p) throws InterruptedException {
        return logPort(p, TLS_PORT, "the TLS listener");
    }

    private static int logPort(ProxyProcess p, Pattern pattern, String what) throws InterruptedException {
        int[] port = {-1};
        waitFor(Duration.ofSeconds(20), () -> {
            Matcher m = pattern.matcher(p.log());
            if (m.find()) {
                port[0] = Integer.parseInt(m.group(1));
                return true;
            }
            return false;
        }, () -> "the proxy's log names no port for " + what + "; proxy " + p.state() + ", log:\n"
                + ProxyProcess.tail(p.log(), 8_000));
        return port[0];
    }

    /** The whole {@code /metrics} text. */
    static String scrape(int port) {
        try {
            return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * One series' value, or 0 when absent (counters with labels appear only once counted).
     * {@code series} as in the text format without the trailing comma, e.g.
     * {@code turnpike_tls_handshakes_total{side="upstream",result="ok"}}.
     */
    static double metric(int port, String series) {
        return metric(scrape(port), series);
    }

    static double metric(String text, String series) {
        for (String line : text.replace(",}", "}").split("\n")) { // the text format ends labels with ","
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }

    /** Whether the series is exported at all. */
    static boolean hasSeries(int port, String series) {
        for (String line : scrape(port).replace(",}", "}").split("\n")) {
            if (line.startsWith(series + " ")) {
                return true;
            }
        }
        return false;
    }

    /** The series of {@code name} in the scrape, for failure messages. */
    static String seriesOf(int port, String name) {
        StringBuilder b = new StringBuilder();
        for (String line : scrape(port).split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                b.append(line).append('\n');
            }
        }
        return b.toString();
    }

    /** Waits (at most 10 s: lines are batched for up to 50 ms) for the access-log line of {@code path}. */
    static String accessLine(ProxyProcess p, String path) throws InterruptedException {
        String needle = " path=" + path + " ";
        String[] found = {null};
        waitFor(Duration.ofSeconds(10), () -> {
            Optional<String> line = p.log().lines().filter(l -> l.contains(needle)).findFirst();
            line.ifPresent(l -> found[0] = l);
            return line.isPresent();
        }, () -> "no access-log line for " + path + " in the proxy log:\n" + ProxyProcess.tail(p.log(), 8_000));
        return found[0];
    }

    static void waitFor(Duration limit, BooleanSupplier condition, Supplier<String> failure) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + limit + ": " + failure.get());
            }
            Thread.sleep(20);
        }
    }
}
