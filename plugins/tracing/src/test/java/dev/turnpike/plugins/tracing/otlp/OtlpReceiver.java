package dev.turnpike.plugins.tracing.otlp;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * A stand-in OpenTelemetry collector for tests: a JDK HttpServer on 127.0.0.1 and an ephemeral port
 * that accepts OTLP/HTTP protobuf exports on {@code /v1/traces}, decodes them ({@link ReceivedSpan})
 * and keeps every span and the headers of every request. It answers 200 with an empty
 * {@code ExportTraceServiceResponse}, anything but a protobuf POST to that path 4xx.
 *
 * <p>Thread-safe: exports arrive on its own thread, tests read from theirs.
 */
public final class OtlpReceiver implements AutoCloseable {

    public static final String PATH = "/v1/traces";

    private final HttpServer server;
    private final ExecutorService threads = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "otlp-receiver");
        t.setDaemon(true);
        return t;
    });
    private final List<ReceivedSpan> spans = new ArrayList<>();
    private final List<Map<String, List<String>>> requestHeaders = new ArrayList<>();
    private final List<String> refusals = new ArrayList<>();

    private OtlpReceiver(HttpServer server) {
        this.server = server;
    }

    /** Starts one on a free port of 127.0.0.1. */
    public static OtlpReceiver start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        OtlpReceiver receiver = new OtlpReceiver(server);
        server.createContext("/", receiver::handle);
        server.setExecutor(receiver.threads);
        server.start();
        return receiver;
    }

    /** The URL to configure as the exporter's {@code endpoint}. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + PATH;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = read(exchange);
            String type = exchange.getRequestHeaders().getFirst("Content-Type");
            if (!exchange.getRequestMethod().equals("POST") || !exchange.getRequestURI().getPath().equals(PATH)
                    || type == null || !type.startsWith("application/x-protobuf")) {
                refuse(exchange, 404, exchange.getRequestMethod() + " " + exchange.getRequestURI() + " " + type);
                return;
            }
            List<ReceivedSpan> decoded;
            try {
                decoded = ReceivedSpan.decodeRequest(body);
            } catch (RuntimeException e) {
                refuse(exchange, 400, "undecodable export: " + e);
                return;
            }
            synchronized (this) {
                spans.addAll(decoded);
                requestHeaders.add(Map.copyOf(exchange.getRequestHeaders()));
                notifyAll();
            }
            exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
        }
    }

    private static byte[] read(HttpExchange exchange) throws IOException {
        InputStream in = exchange.getRequestBody();
        if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
            in = new GZIPInputStream(in);
        }
        return in.readAllBytes();
    }

    private void refuse(HttpExchange exchange, int status, String why) throws IOException {
        synchronized (this) {
            refusals.add(why);
            notifyAll();
        }
        exchange.sendResponseHeaders(status, -1);
    }

    /** Every span received so far, in arrival order. */
    public synchronized List<ReceivedSpan> spans() {
        return List.copyOf(spans);
    }

    /** The headers of every accepted export request (names as the JDK server spells them: {@code X-api-key}). */
    public synchronized List<Map<String, List<String>>> requestHeaders() {
        return List.copyOf(requestHeaders);
    }

    /** What was refused (not an export, or not decodable), one line each. */
    public synchronized List<String> refusals() {
        return List.copyOf(refusals);
    }

    /**
     * Waits until {@code count} received spans match {@code which}, for at most {@code timeout};
     * those spans. Fails with what arrived when they do not.
     */
    public synchronized List<ReceivedSpan> await(int count, Predicate<ReceivedSpan> which, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<ReceivedSpan> matching = spans.stream().filter(which).toList();
            if (matching.size() >= count) {
                return matching;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("expected " + count + " matching span(s) within " + timeout + ", got "
                        + matching.size() + "; all received: " + spans + "; refused: " + refusals);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
