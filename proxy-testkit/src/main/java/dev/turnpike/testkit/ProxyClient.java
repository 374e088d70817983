package dev.turnpike.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.OptionalDouble;

/**
 * A client of one running proxy (over {@link HttpClient}, HTTP/1.1, no redirects followed) with
 * assertions on what comes back, on the admin listener's metrics, and on the access log. Made by
 * {@link TurnpikeExtension#client()}.
 *
 * <p>Every call blocks the calling thread (a test thread) until the answer is in, up to the request
 * timeout (default 10 s). Thread-safe: a load generator may share one. Transport failures (refused,
 * reset, timed out) surface as {@link UncheckedIOException}.
 */
public final class ProxyClient {

    private final URI base;
    private final URI metrics;
    private final AccessLogCapture accessLog;
    private final HttpClient http;
    private final Duration timeout;

    ProxyClient(URI base, URI metrics, AccessLogCapture accessLog, Duration timeout) {
        this.base = base;
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** The same client with another per-request timeout. */
    public ProxyClient withTimeout(Duration requestTimeout) {
        return new ProxyClient(base, metrics, accessLog, requestTimeout);
    }

    /** A request builder for {@code path} on the proxy, with this client's timeout. */
    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(timeout);
    }

    /** GET {@code path}, with header name/value pairs. */
    public ResponseAssert get(String path, String... headers) {
        HttpRequest.Builder b = request(path).GET();
        if (headers.length % 2 != 0) {
            throw new IllegalArgumentException("headers come in name, value pairs");
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    /** POST {@code body} (UTF-8) to {@code path}. */
    public ResponseAssert post(String path, String body) {
        return send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** Sends any request (build it from {@link #request}). */
    public ResponseAssert send(HttpRequest request) {
        try {
            return new ResponseAssert(http.send(request, HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted during " + request.method() + " " + request.uri(), e);
        }
    }

    // ------------------------------------------------------------------ metrics

    /** The admin listener's {@code /metrics} now, parsed. */
    public MetricsText metrics() {
        ResponseAssert r = send(HttpRequest.newBuilder(metrics).timeout(timeout).GET().build());
        r.assertStatus(200);
        return MetricsText.parse(r.body());
    }

    /**
     * Asserts that the sample {@code name} with {@code labels} (name/value pairs) has {@code expected}
     * now. A sample that is absent counts as missing, not as 0.
     */
    public void assertMetric(String name, double expected, String... labels) {
        OptionalDouble v = metrics().value(name, labels);
        if (v.isEmpty() || Double.compare(v.getAsDouble(), expected) != 0) {
            throw new AssertionError("metric " + name + labelText(labels) + ": expected " + expected + ", got "
                    + (v.isEmpty() ? "no such sample" : v.getAsDouble()));
        }
    }

    /** Waits (up to {@link Await#DEFAULT}) until the sample has {@code expected} (counters are bumped after the response). */
    public void awaitMetric(String name, double expected, String... labels) {
        OptionalDouble[] last = {OptionalDouble.empty()};
        Await.until("metric " + name + labelText(labels) + " = " + expected, Await.DEFAULT, () -> {
            last[0] = metrics().value(name, labels);
            return last[0].isPresent() && Double.compare(last[0].getAsDouble(), expected) == 0;
        }, () -> last[0].isEmpty() ? "no such sample" : String.valueOf(last[0].getAsDouble()));
    }

    private static String labelText(String[] labels) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i + 1 < labels.length; i += 2) {
            sb.append(i == 0 ? "" : ",").append(labels[i]).append("=\"").append(labels[i + 1]).append('"');
        }
        return sb.append('}').toString();
    }

    // ------------------------------------------------------------------ access log

    /** The proxy's access-log lines, captured since it started. */
    public AccessLogCapture accessLog() {
        return accessLog;
    }

    /** Waits for an access-log line that {@code regex} finds a match in (see {@link AccessLogCapture#awaitLine(String)}). */
    public String awaitAccessLogLine(String regex) {
        return accessLog.awaitLine(regex);
    }
}
