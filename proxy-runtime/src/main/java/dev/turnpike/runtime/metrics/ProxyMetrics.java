package dev.turnpike.runtime.metrics;

import dev.turnpike.api.metrics.PluginMetrics;
import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * The runtime's metrics, in a Prometheus registry of its own (so that several proxies in one JVM,
 * as in tests, keep separate counts). Every recording method is called on event loops: they take no
 * lock and, on the per-request path, resolve no labels (children are cached by index), so recording
 * a request costs a few adder increments.
 *
 * <p>Label values are bounded by construction: methods outside the standard set count as
 * {@code OTHER}, status codes are three digits (or {@code 0}: no response was sent), backends come
 * from configuration.
 */
public final class ProxyMetrics {

    static {
        // The text format we serve (0.0.4) has no exemplars, so sampling them is pure cost: on
        // every increment the client library looks for a trace to attach (4% of the request path's
        // CPU went to the two byte counters alone). Metrics must not be built before this runs.
        io.prometheus.client.exemplars.ExemplarConfig.disableExemplars();
    }

    /** The methods counted by name; anything else is OTHER. */
    private static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "OTHER"};
    private static final String[] STATUS_CLASSES = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    /** From a cache hit on loopback (0.1 ms) to the slowest upstream worth telling apart (10 s). */
    private static final double[] LATENCY_BUCKETS = {
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final CollectorRegistry registry = new CollectorRegistry(true);
    private final PrometheusPluginMetrics pluginMetrics = new PrometheusPluginMetrics(registry);

    private final Counter requests = Counter.build().name("turnpike_requests_total")
            .help("Requests answered, by method and status (0: none sent, e.g. the client went away).")
            .labelNames("method", "status").register(registry);
    private final Histogram duration = Histogram.build().name("turnpike_request_duration_seconds")
            .help("Time from the request head to the end of the exchange.")
            .labelNames("method", "status_class").buckets(LATENCY_BUCKETS).register(registry);
    private final Counter pluginErrors = Counter.build().name("turnpike_plugin_errors_total")
            .help("Requests failed by a plugin, by plugin and phase.")
            .labelNames("plugin", "phase").register(registry);
    private final Counter pluginTime = Counter.build().name("turnpike_plugin_duration_seconds_total")
            .help("Time spent in plugin phase calls (the synchronous part), by plugin and phase.")
            .labelNames("plugin", "phase").register(registry);

    private final Gauge openConnections = Gauge.build().name("turnpike_client_connections")
            .help("Client connections open now.").register(registry);
    private final Counter accepted = Counter.build().name("turnpike_client_connections_accepted_total")
            .help("Client connections accepted.").register(registry);
    private final Counter bytesIn = Counter.build().name("turnpike_client_received_bytes_total")
            .help("Bytes received from clients, on the wire.").register(registry);
    private final Counter bytesOut = Counter.build().name("turnpike_client_sent_bytes_total")
            .help("Bytes sent to clients, on the wire.").register(registry);
    private final Counter clientAborts = Counter.build().name("turnpike_client_aborts_total")
            .help("Requests whose client went away before the response was complete.").register(registry);
    private final Counter clientTimeouts = Counter.build().name("turnpike_client_timeouts_total")
            .help("Requests failed because the client was too slow: silent while its body was expected "
                    + "(server.request_body_timeout), or taking no bytes (server.send_timeout). Never counted "
                    + "against a backend.").register(registry);
    private final Counter requestErrors = Counter.build().name("turnpike_request_errors_total")
            .help("Failed requests, by error kind (client_abort, client_timeout, bad_request, no_peer, connect_refused, "
                    + "connect_timeout, unresolvable, tls, upstream_reset, upstream_timeout, invalid_response, plugin, "
                    + "internal). The error log shows at most one line per kind and plugin per second; this counts all.")
            .labelNames("kind").register(registry);

    private final Histogram connectTime = Histogram.build().name("turnpike_upstream_connect_duration_seconds")
            .help("Time to open a new upstream connection, by backend.")
            .labelNames("backend").buckets(LATENCY_BUCKETS).register(registry);
    private final Counter connectErrors = Counter.build().name("turnpike_upstream_connect_errors_total")
            .help("Failed upstream connection attempts, by backend and reason (refused, timeout, tls, other); the reason of a TLS failure is in turnpike_tls_handshakes_total.")
            .labelNames("backend", "reason").register(registry);
    private final Counter upstreamTimeouts = Counter.build().name("turnpike_upstream_timeouts_total")
            .help("Attempts failed because the backend stayed silent past its read timeout while the proxy was reading, "
                    + "or took no request bytes for its write timeout.")
            .labelNames("backend").register(registry);
    private final Counter retries = Counter.build().name("turnpike_upstream_retries_total")
            .help("Requests sent again on another connection after one failed before any response.")
            .labelNames("backend").register(registry);
    private final Counter upstreamRequests = Counter.build().name("turnpike_upstream_requests_total")
            .help("Requests sent upstream, by backend and whether the connection was new or reused from the pool.")
            .labelNames("backend", "connection").register(registry);

    private final Counter reloads = Counter.build().name("turnpike_reloads_total")
            .help("Reloads, by what changed (plugins, config) and result (ok, failed).")
            .labelNames("kind", "result").register(registry);

    private final Counter.Child[][] requestChildren = new Counter.Child[METHODS.length][600];
    private final Histogram.Child[][] durationChildren = new Histogram.Child[METHODS.length][STATUS_CLASSES.length];
    private final ConcurrentHashMap<String, Counter.Child[]> pluginTimeChildren = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter.Child[]> upstreamRequestChildren = new ConcurrentHashMap<>();
    private final Counter.Child bytesInChild = bytesIn.labels();
    private final Counter.Child bytesOutChild = bytesOut.labels();

    /** Whether recording is on: with {@code metrics.enabled: false} nothing is counted at all. */
    private final boolean enabled;
    private final TlsMetrics tls;
    private final TunnelMetrics tunnels;
    private final TcpMetrics tcp;

    /** Metrics that record. */
    public ProxyMetrics() {
        this(true);
    }

    /** {@code enabled} false: every recording method returns at once (the listener is off too). */
    public ProxyMetrics(boolean enabled) {
        this.enabled = enabled;
        this.tls = new TlsMetrics(registry, enabled);
        this.tunnels = new TunnelMetrics(registry, enabled);
        this.tcp = new TcpMetrics(registry, enabled);
        for (int m = 0; m < METHODS.length; m++) {
            for (int c = 0; c < STATUS_CLASSES.length; c++) {
                durationChildren[m][c] = duration.labels(METHODS[m], STATUS_CLASSES[c]);
            }
        }
    }

    public CollectorRegistry registry() {
        return registry;
    }

    /** Tunnels (upgraded connections). */
    public TunnelMetrics tunnels() {
        return tunnels;
    }

    /** The tcp (L4) listeners. */
    public TcpMetrics tcp() {
        return tcp;
    }

    /** The TLS metrics of both sides. */
    public TlsMetrics tls() {
        return tls;
    }

    /** The registry plugins register their own metrics in. */
    public PluginMetrics pluginMetrics() {
        return pluginMetrics;
    }

    /** The index {@link #requestFinished} takes for a method name. */
    public static int methodIndex(String method) {
        for (int i = 0; i < METHODS.length - 1; i++) {
            if (METHODS[i].equals(method)) {
                return i;
            }
        }
        return METHODS.length - 1;
    }

    /** A request is over: {@code status} 0 when no response was sent. */
    public void requestFinished(int methodIndex, int status, long durationNanos) {
        if (!enabled) {
            return;
        }
        int s = status >= 100 && status < 600 ? status : 0;
        Counter.Child c = requestChildren[methodIndex][s];
        if (c == null) {
            // Benign race: labels() returns the same child to every thread that asks.
            c = requests.labels(METHODS[methodIndex], Integer.toString(s));
            requestChildren[methodIndex][s] = c;
        }
        c.inc();
        durationChildren[methodIndex][s / 100].observe(durationNanos / 1e9);
    }

    /** A plugin threw (or broke its phase's contract) in {@code phase}. */
    public void pluginFailed(String pluginId, String phase) {
        if (!enabled) {
            return;
        }
        pluginErrors.labels(pluginId, phase).inc();
    }

    /** How many times {@code pluginId} failed in {@code phase} so far. */
    public double pluginFailures(String pluginId, String phase) {
        return pluginErrors.labels(pluginId, phase).get();
    }

    /**
     * Time one synchronous phase call took. {@code phaseIndex} and {@code phaseLabel} describe the
     * same phase; the index keys the cache of children.
     */
    public void pluginTime(String pluginId, int phaseIndex, String phaseLabel, long nanos) {
        if (!enabled) {
            return;
        }
        Counter.Child[] byPhase = pluginTimeChildren.computeIfAbsent(pluginId, id -> new Counter.Child[32]);
        Counter.Child c = byPhase[phaseIndex];
        if (c == null) {
            c = pluginTime.labels(pluginId, phaseLabel);
            byPhase[phaseIndex] = c;
        }
        c.inc(nanos / 1e9);
    }

    /** A reload of {@code kind} (plugins or config) was applied, or refused. */
    public void reloaded(String kind, boolean ok) {
        reloads.labels(kind, ok ? "ok" : "failed").inc();
    }

    public void connectionOpened() {
        if (!enabled) {
            return;
        }
        accepted.inc();
        openConnections.inc();
    }

    public void connectionClosed() {
        if (!enabled) {
            return;
        }
        openConnections.dec();
    }

    public void bytesReceived(long n) {
        if (!enabled) {
            return;
        }
        bytesInChild.inc(n);
    }

    public void bytesSent(long n) {
        if (!enabled) {
            return;
        }
        bytesOutChild.inc(n);
    }

    public void clientTimedOut() {
        if (!enabled) {
            return;
        }
        clientTimeouts.inc();
    }

    /** A request failed with this error kind ({@code ErrorKind.label()}). */
    public void requestFailed(String kind) {
        if (!enabled) {
            return;
        }
        requestErrors.labels(kind).inc();
    }

    public void clientAborted() {
        if (!enabled) {
            return;
        }
        clientAborts.inc();
    }

    public void upstreamConnected(String backend, long nanos) {
        if (!enabled) {
            return;
        }
        connectTime.labels(backend).observe(nanos / 1e9);
    }

    /** {@code reason}: refused, timeout, tls or other. */
    public void upstreamConnectFailed(String backend, String reason) {
        if (!enabled) {
            return;
        }
        connectErrors.labels(backend, reason.toLowerCase(Locale.ROOT)).inc();
    }

    public void upstreamTimedOut(String backend) {
        if (!enabled) {
            return;
        }
        upstreamTimeouts.labels(backend).inc();
    }

    public void upstreamRetried(String backend) {
        if (!enabled) {
            return;
        }
        retries.labels(backend).inc();
    }

    public void upstreamRequest(String backend, boolean reused) {
        if (!enabled) {
            return;
        }
        Counter.Child[] pair = upstreamRequestChildren.computeIfAbsent(backend,
                b -> new Counter.Child[] {upstreamRequests.labels(b, "new"), upstreamRequests.labels(b, "reused")});
        pair[reused ? 1 : 0].inc();
    }

    /**
     * Exports the pooled upstream connections (idle and in use) as read at scrape time. The
     * suppliers read the event loops' counters without a lock: a gauge may lag a moment behind.
     */
    public void upstreamPools(IntSupplier idle, IntSupplier inUse) {
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
