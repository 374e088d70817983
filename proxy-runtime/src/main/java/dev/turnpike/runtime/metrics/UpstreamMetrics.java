package dev.turnpike.runtime.metrics;

import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.Histogram;
import io.prometheus.client.SimpleCollector;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * The per-backend series ({@code turnpike_upstream_*}, label {@code backend}: the peer's
 * host:port). Recording runs on event loops: each backend's children are resolved once and kept in
 * {@link Children}, so an attempt costs a map look-up and a few adder increments. A backend's series
 * exist only once it has been used, and {@link #forget} drops them when it has left the
 * configuration (a plugin says so from {@code activated()}).
 */
public final class UpstreamMetrics {

    private static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};

    private final boolean enabled;
    private final Histogram connectTime;
    private final Counter connectErrors;
    private final Counter timeouts;
    private final Counter retries;
    private final Counter requests;
    private final Histogram responseTime;
    private final Counter responses;
    private final ConcurrentHashMap<String, Children> byBackend = new ConcurrentHashMap<>();
    private final CollectorRegistry registry;

    UpstreamMetrics(CollectorRegistry registry, boolean enabled, double[] buckets) {
        this.registry = registry;
        this.enabled = enabled;
        connectTime = Histogram.build().name("turnpike_upstream_connect_duration_seconds")
                .help("Time to open a new upstream connection, by backend.")
                .labelNames("backend").buckets(buckets).register(registry);
        connectErrors = Counter.build().name("turnpike_upstream_connect_errors_total")
                .help("Failed upstream connection attempts, by backend and reason (refused, timeout, tls, other); the "
                        + "reason of a TLS failure is in turnpike_tls_handshakes_total.")
                .labelNames("backend", "reason").register(registry);
        timeouts = Counter.build().name("turnpike_upstream_timeouts_total")
                .help("Attempts failed because the backend stayed silent past its read timeout while the proxy was "
                        + "reading, or took no request bytes for its write timeout.")
                .labelNames("backend").register(registry);
        retries = Counter.build().name("turnpike_upstream_retries_total")
                .help("Requests sent again on another connection after one failed before any response.")
                .labelNames("backend").register(registry);
        requests = Counter.build().name("turnpike_upstream_requests_total")
                .help("Requests sent upstream, by backend and whether the connection was new or reused from the pool.")
                .labelNames("backend", "connection").register(registry);
        responseTime = Histogram.build().name("turnpike_upstream_response_duration_seconds")
                .help("Time to first byte: from the request head written to the backend to its response head read, "
                        + "by backend (nginx's $upstream_header_time).")
                .labelNames("backend").buckets(buckets).register(registry);
        responses = Counter.build().name("turnpike_upstream_responses_total")
                .help("Response heads received from backends, by backend and status class (the backend's own status, "
                        + "before any response_filter).")
                .labelNames("backend", "status_class").register(registry);
    }

    /** One backend's children, made on its first use; racing makers get the same children from simpleclient. */
    private final class Children {
        final String backend;
        final Histogram.Child connect;
        final Histogram.Child responseTime;
        final Counter.Child[] responses = new Counter.Child[STATUS_CLASSES.length];
        final Counter.Child newConnection;
        final Counter.Child reusedConnection;

        Children(String backend) {
            this.backend = backend;
            connect = connectTime.labels(backend);
            responseTime = UpstreamMetrics.this.responseTime.labels(backend);
            newConnection = requests.labels(backend, "new");
            reusedConnection = requests.labels(backend, "reused");
        }

        Counter.Child responses(int status) {
            int c = status / 100 - 1;
            Counter.Child child = responses[c];
            if (child == null) {
                child = UpstreamMetrics.this.responses.labels(backend, STATUS_CLASSES[c]);
                responses[c] = child;
            }
            return child;
        }
    }

    private Children of(String backend) {
        Children c = byBackend.get(backend);
        return c != null ? c : byBackend.computeIfAbsent(backend, Children::new);
    }

    public void connected(String backend, long nanos) {
        if (enabled) {
            of(backend).connect.observe(nanos / 1e9);
        }
    }

    /** A connection to {@code backend} could not be opened; the reason label comes from {@code kind}. */
    public void connectFailed(String backend, dev.turnpike.api.ErrorKind kind) {
        if (enabled) {
            connectErrors.labels(backend, reason(kind)).inc();
        }
    }

    /** The {@code reason} label of a failed connect: refused, timeout, tls or other. */
    static String reason(dev.turnpike.api.ErrorKind kind) {
        return switch (kind) {
            case CONNECT_REFUSED -> "refused";
            case CONNECT_TIMEOUT -> "timeout";
            case TLS -> "tls";
            default -> "other";
        };
    }

    public void timedOut(String backend) {
        if (enabled) {
            timeouts.labels(backend).inc();
        }
    }

    public void retried(String backend) {
        if (enabled) {
            retries.labels(backend).inc();
        }
    }

    public void requestSent(String backend, boolean reused) {
        if (enabled) {
            Children c = of(backend);
            (reused ? c.reusedConnection : c.newConnection).inc();
        }
    }

    /** A backend's response head arrived, {@code nanos} after the request head went out. */
    public void responded(String backend, int status, long nanos) {
        if (enabled && status >= 100 && status < 600) {
            Children c = of(backend);
            c.responses(status).inc();
            c.responseTime.observe(nanos / 1e9);
        }
    }

    /**
     * Drops every series of {@code backend}. An attempt already holding its children may still
     * count into them a moment after; those counts are not exported.
     */
    public void forget(String backend) {
        byBackend.remove(backend);
        forget(connectTime, List.of("backend"), backend);
        forget(connectErrors, List.of("backend", "reason"), backend);
        forget(timeouts, List.of("backend"), backend);
        forget(retries, List.of("backend"), backend);
        forget(requests, List.of("backend", "connection"), backend);
        forget(responseTime, List.of("backend"), backend);
        forget(responses, List.of("backend", "status_class"), backend);
    }

    private static void forget(SimpleCollector<?> c, List<String> labels, String backend) {
        Series.forget(c, labels, "backend", backend);
    }

    /**
     * Exports the pooled upstream connections (idle and in use) as read at scrape time. The
     * suppliers read the event loops' counters without a lock: a gauge may lag a moment behind.
     */
    public void pools(IntSupplier idle, IntSupplier inUse) {
        new Collector() {
            @Override
            public List<MetricFamilySamples> collect() {
                GaugeMetricFamily g = new GaugeMetricFamily("turnpike_upstream_connections",
                        "Pooled upstream connections, idle or in use by a request.", List.of("state"));
                g.addMetric(List.of("idle"), idle.getAsInt());
                g.addMetric(List.of("in_use"), inUse.getAsInt());
                return List.of(g);
            }
        }.register(registry);
    }
}
