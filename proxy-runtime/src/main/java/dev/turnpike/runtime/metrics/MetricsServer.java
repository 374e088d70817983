package dev.turnpike.runtime.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.turnpike.api.HostPort;
import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.zip.GZIPOutputStream;

/**
 * The admin listener: Prometheus metrics on {@code /metrics}, JSON admin endpoints beside them, 404
 * for any other path and 405 for any method but GET (and HEAD). It runs on its own small pool of
 * daemon threads, never on an event loop, so a slow scrape cannot touch traffic.
 *
 * <p>The {@code _created} series simpleclient adds to every counter, histogram and summary are left
 * out: they doubled the scrape for a timestamp nobody graphs (the process start time is exported).
 */
public final class MetricsServer implements AutoCloseable {

    private static final String METRICS = "/metrics";

    private final HttpServer http;
    private final ExecutorService threads;
    private final CollectorRegistry registry;
    private final Map<String, Supplier<String>> json = new ConcurrentHashMap<>();

    public MetricsServer(HostPort listen, CollectorRegistry registry) throws IOException {
        this.registry = registry;
        http = HttpServer.create(new InetSocketAddress(listen.host(), listen.port()), 64);
        threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "turnpike-admin");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(threads);
        // One context for every path: the JDK matches contexts by prefix, which would serve
        // /metricsfoo as /metrics; exact paths are told apart here.
        http.createContext("/", this::handle);
        http.start();
    }

    /** The bound port (the real one when the config said 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Serves {@code GET path} with the JSON text {@code body} computes at each request. */
    public void json(String path, Supplier<String> body) {
        json.put(path, body);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            Supplier<String> jsonBody = json.get(path);
            if (!path.equals(METRICS) && jsonBody == null) {
                send(exchange, 404, "text/plain; charset=utf-8",
                        ("not found: " + path + " (try " + METRICS + " or " + String.join(", ", json.keySet()) + ")\n")
                                .getBytes(StandardCharsets.UTF_8));
                return;
            }
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                send(exchange, 405, "text/plain; charset=utf-8", "only GET\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (jsonBody != null) {
                send(exchange, 200, "application/json", jsonBody.get().getBytes(StandardCharsets.UTF_8));
                return;
            }
            String type = TextFormat.chooseContentType(exchange.getRequestHeaders().getFirst("Accept"));
            ByteArrayOutputStream buffer = new ByteArrayOutputStream(32 * 1024);
            try (Writer w = new OutputStreamWriter(buffer, StandardCharsets.UTF_8)) {
                TextFormat.writeFormat(type, w, withoutCreated(registry.metricFamilySamples()));
            }
            String encoding = exchange.getRequestHeaders().getFirst("Accept-Encoding");
            byte[] body = buffer.toByteArray();
            if (encoding != null && encoding.contains("gzip")) {
                ByteArrayOutputStream zipped = new ByteArrayOutputStream(body.length / 4 + 64);
                try (GZIPOutputStream gz = new GZIPOutputStream(zipped)) {
                    gz.write(body);
                }
                body = zipped.toByteArray();
                exchange.getResponseHeaders().set("Content-Encoding", "gzip");
            }
            send(exchange, 200, type, body);
        }
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** The families with the {@code <name>_created} samples of counters, histograms and summaries left out. */
    static Enumeration<Collector.MetricFamilySamples> withoutCreated(Enumeration<Collector.MetricFamilySamples> all) {
        List<Collector.MetricFamilySamples> out = new ArrayList<>();
        while (all.hasMoreElements()) {
            Collector.MetricFamilySamples f = all.nextElement();
            if (f.type != Collector.Type.COUNTER && f.type != Collector.Type.HISTOGRAM && f.type != Collector.Type.SUMMARY) {
                out.add(f);
                continue;
            }
            String created = f.name + "_created";
            List<Collector.MetricFamilySamples.Sample> kept = new ArrayList<>(f.samples.size());
            for (Collector.MetricFamilySamples.Sample s : f.samples) {
                if (!s.name.equals(created)) {
                    kept.add(s);
                }
            }
            out.add(new Collector.MetricFamilySamples(f.name, f.unit, f.type, f.help, kept));
        }
        return Collections.enumeration(out);
    }

    @Override
    public void close() {
        http.stop(0);
        threads.shutdownNow();
    }
}
