package dev.turnpike.runtime.metrics;

import dev.turnpike.api.metrics.PluginMetrics;
import dev.turnpike.runtime.ProxyVersion;
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
    private final PrometheusPluginMetrics pluginMetrics;

    private final Counter requests;
    private final Histogram duration;
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

    private final Counter reloads = Counter.build().name("turnpike_reloads_total")
            .help("Reloads, by what changed (plugins, config) and result (ok, failed).")
            .labelNames("kind", "result").register(registry);

    private final Gauge buildInfo = Gauge.build().name("turnpike_build_info")
            .help("Always 1; the labels say which Turnpike and plugin API run.")
            .labelNames("version", "api_version").register(registry);

    private final RequestCounts plainCounts = new RequestCounts();
    /** With {@code metrics.group_label}: the counts of each peer group ("" for none). */
    private final ConcurrentHashMap<String, RequestCounts> groupCounts = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter.Child[]> pluginTimeChildren = new ConcurrentHashMap<>();
    private final Counter.Child bytesInChild = bytesIn.labels();
    private final Counter.Child bytesOutChild = bytesOut.labels();

    /** Whether recording is on: with {@code metrics.enabled: false} nothing is counted at all. */
    private final boolean enabled;
    private final boolean groupLabel;
    private final UpstreamMetrics upstream;
    private final TlsMetrics tls;
    private final TunnelMetrics tunnels;
    private final TcpMetrics tcp;

    /** Metrics that record. */
    public ProxyMetrics() {
        this(true, false);
    }

    public ProxyMetrics(boolean enabled) {
        this(enabled, false);
    }

    /**
     * {@code enabled} false: every recording method returns at once (the listener is off too).
     * {@code groupLabel}: the request series carry the peer's group ({@code metrics.group_label}).
     */
    public ProxyMetrics(boolean enabled, boolean groupLabel) {
        this.enabled = enabled;
        this.groupLabel = groupLabel;
        String[] labels = groupLabel ? new String[] {"method", "status", "group"} : new String[] {"method", "status"};
        String[] durationLabels = groupLabel ? new String[] {"method", "status_class", "group"}
                : new String[] {"method", "status_class"};
        requests = Counter.build().name("turnpike_requests_total")
                .help("Requests answered, by method and status (0: none sent, e.g. the client went away)"
                        + (groupLabel ? " and the group of the last peer tried (empty: none)." : "."))
                .labelNames(labels).register(registry);
        duration = Histogram.build().name("turnpike_request_duration_seconds")
                .help("Time from the request head to the end of the exchange.")
                .labelNames(durationLabels).buckets(LATENCY_BUCKETS).register(registry);
        this.tls = new TlsMetrics(registry, enabled);
        this.tunnels = new TunnelMetrics(registry, enabled);
        this.tcp = new TcpMetrics(registry, enabled);
        this.upstream = new UpstreamMetrics(registry, enabled, LATENCY_BUCKETS);
        this.pluginMetrics = new PrometheusPluginMetrics(registry, upstream);
        buildInfo.labels(ProxyVersion.CURRENT, dev.turnpike.api.ApiVersion.CURRENT.toString()).set(1);
    }

    /** The per-backend series. */
    public UpstreamMetrics upstream() {
        return upstream;
    }

    /** Exports the generation of the chain in force, read at scrape time. */
    public void configGeneration(java.util.function.LongSupplier generation) {
        new Collector() {
            @Override
            public List<MetricFamilySamples> collect() {
                return List.of(new GaugeMetricFamily("turnpike_config_generation",
                        "The generation of configuration and plugins in force: 1 at start, one more per applied reload.",
                        generation.getAsLong()));
            }
        }.register(registry);
    }

    /** Exports the access-log lines dropped because its writer fell behind, read at scrape time. */
    public void accessLogDropped(java.util.function.LongSupplier dropped) {
        new Collector() {
            @Override
            public List<MetricFamilySamples> collect() {
                return List.of(new io.prometheus.client.CounterMetricFamily("turnpike_access_log_dropped_total",
                        "Access-log lines dropped because the log's writer was too far behind (its queue was full).",
                        dropped.getAsLong()));
            }
        }.register(registry);
    }

    /**
     * One set of request children, made on first use (a series exists once something was counted
     * in it): method by status for the counter, method by status class for the histogram.
     */
    private final class RequestCounts {
        final String group;
        final Counter.Child[][] requests = new Counter.Child[METHODS.length][600];
        final Histogram.Child[][] durations = new Histogram.Child[METHODS.length][STATUS_CLASSES.length];

        RequestCounts() {
            this(null);
        }

        RequestCounts(String group) {
            this.group = group;
        }

        // Benign races below: labels() returns the same child to every thread that asks.
        Counter.Child request(int m, int status) {
            Counter.Child c = requests[m][status];
            if (c == null) {
                String s = Integer.toString(status);
                c = group == null ? ProxyMetrics.this.requests.labels(METHODS[m], s)
                        : ProxyMetrics.this.requests.labels(METHODS[m], s, group);
                requests[m][status] = c;
            }
            return c;
        }

        Histogram.Child duration(int m, int statusClass) {
            Histogram.Child c = durations[m][statusClass];
            if (c == null) {
                c = group == null ? duration.labels(METHODS[m], STATUS_CLASSES[statusClass])
                        : duration.labels(METHODS[m], STATUS_CLASSES[statusClass], group);
                durations[m][statusClass] = c;
            }
            return c;
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

    /**
     * A request is over: {@code status} 0 when no response was sent; {@code group} the group of the
     * last peer tried, or null (read only with {@code metrics.group_label}).
     */
    public void requestFinished(int methodIndex, int status, long durationNanos, String group) {
        if (!enabled) {
            return;
        }
        int s = status >= 100 && status < 600 ? status : 0;
        RequestCounts counts = groupLabel ? groupCounts.computeIfAbsent(group == null ? "" : group, RequestCounts::new)
                : plainCounts;
        counts.request(methodIndex, s).inc();
        counts.duration(methodIndex, s / 100).observe(durationNanos / 1e9);
    }

    /** As {@link #requestFinished(int, int, long, String)} with no group. */
    public void requestFinished(int methodIndex, int status, long durationNanos) {
        requestFinished(methodIndex, status, durationNanos, null);
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
}
