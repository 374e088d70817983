package dev.turnpike.runtime.metrics;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;

/**
 * The TLS metrics of both sides. {@code side} is {@code downstream} (clients of the TLS listener) or
 * {@code upstream} (backends and health probes); {@code result} is {@code ok} or the failure's reason
 * ({@link dev.turnpike.runtime.tls.TlsFailure}), a closed set, as are versions and cipher suites.
 * Called on event loops (handshakes) and on the certificate thread (expiry); no locks of its own.
 */
public final class TlsMetrics {

    /** A resumed handshake on loopback takes well under a millisecond; a full RSA one some milliseconds. */
    private static final double[] HANDSHAKE_BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
        0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final boolean enabled;
    private final Counter handshakes;
    private final Histogram handshakeTime;
    private final Counter connections;
    private final Gauge expiry;

    TlsMetrics(CollectorRegistry registry, boolean enabled) {
        this.enabled = enabled;
        handshakes = Counter.build().name("turnpike_tls_handshakes_total")
                .help("TLS handshakes, by side (downstream: clients; upstream: backends and health probes) and result "
                        + "(ok, or why it failed: unknown_ca, bad_name, expired, not_yet_valid, no_certificate, "
                        + "bad_certificate, protocol, timeout, closed, other).")
                .labelNames("side", "result").register(registry);
        handshakeTime = Histogram.build().name("turnpike_tls_handshake_duration_seconds")
                .help("Time of successful TLS handshakes, by side; downstream from the connection's start"
                        + " to the end, upstream from the TCP connect.")
                .labelNames("side").buckets(HANDSHAKE_BUCKETS).register(registry);
        connections = Counter.build().name("turnpike_tls_connections_total")
                .help("TLS connections established, by side, protocol version and cipher suite.")
                .labelNames("side", "version", "cipher").register(registry);
        expiry = Gauge.build().name("turnpike_tls_certificate_expiry_seconds")
                .help("When each served certificate expires, as a Unix time in seconds, by name (its subject"
                        + " alternative names). Alert on turnpike_tls_certificate_expiry_seconds - time() < 14 * 86400.")
                .labelNames("name").register(registry);
    }

    public void handshakeSucceeded(String side, long nanos, String version, String cipher) {
        if (!enabled) {
            return;
        }
        handshakes.labels(side, "ok").inc();
        handshakeTime.labels(side).observe(nanos / 1e9);
        connections.labels(side, version, cipher).inc();
    }

    public void handshakeFailed(String side, String reason) {
        if (enabled) {
            handshakes.labels(side, reason).inc();
        }
    }

    /** The certificates served now: the gauge holds exactly these names. */
    public synchronized void certificatesServed(java.util.Map<String, java.time.Instant> notAfterByName) {
        expiry.clear();
        notAfterByName.forEach((name, notAfter) -> expiry.labels(name).set(notAfter.getEpochSecond()));
    }

    /** For tests: the count of handshakes with this side and result. */
    public double handshakes(String side, String result) {
        Double v = handshakes.labels(side, result).get();
        return v == null ? 0 : v;
    }
}
