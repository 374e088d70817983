package dev.turnpike.runtime.metrics;

import com.sun.net.httpserver.HttpServer;
import dev.turnpike.api.HostPort;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.HTTPServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * The admin listener: Prometheus metrics on {@code /metrics} and JSON admin endpoints beside them.
 * It runs on its own small pool of daemon threads, never on an event loop, so a slow scrape cannot
 * touch traffic.
 */
public final class MetricsServer implements AutoCloseable {

    private final HttpServer http;
    private final HTTPServer prometheus;

    public MetricsServer(HostPort listen, CollectorRegistry registry) throws IOException {
        http = HttpServer.create(new InetSocketAddress(listen.host(), listen.port()), 64);
        prometheus = new HTTPServer.Builder().withHttpServer(http).withRegistry(registry).withDaemonThreads(true).build();
    }

    /** The bound port (the real one when the config said 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Serves {@code GET path} with the JSON text {@code body} computes at each request. */
    public void json(String path, Supplier<String> body) {
        http.createContext(path, exchange -> {
            try (exchange) {
                if (!exchange.getRequestMethod().equals("GET")) {
                    exchange.sendResponseHeaders(405, -1);
                    return;
                }
                byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        });
    }

    @Override
    public void close() {
        prometheus.close();
    }
}
