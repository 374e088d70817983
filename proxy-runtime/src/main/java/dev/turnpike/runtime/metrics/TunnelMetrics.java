package dev.turnpike.runtime.metrics;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;

/**
 * Tunnels: connections that left HTTP and relay bytes both ways. {@code kind} is {@code websocket},
 * {@code upgrade} (any other protocol an Upgrade switched to); {@code direction} is {@code upstream}
 * (client to backend) or {@code downstream}. Called on event loops.
 */
public final class TunnelMetrics {

    private final boolean enabled;
    private final Gauge open;
    private final Counter opened;
    private final Counter bytes;

    TunnelMetrics(CollectorRegistry registry, boolean enabled) {
        this.enabled = enabled;
        open = Gauge.build().name("turnpike_tunnels").help("Tunnels open now, by kind (websocket, upgrade).")
                .labelNames("kind").register(registry);
        opened = Counter.build().name("turnpike_tunnels_opened_total").help("Tunnels opened, by kind.")
                .labelNames("kind").register(registry);
        bytes = Counter.build().name("turnpike_tunnel_bytes_total")
                .help("Bytes relayed through tunnels, by kind and direction (upstream: client to backend; downstream: back).")
                .labelNames("kind", "direction").register(registry);
    }

    public void opened(String kind) {
        if (enabled) {
            open.labels(kind).inc();
            opened.labels(kind).inc();
        }
    }

    public void closed(String kind) {
        if (enabled) {
            open.labels(kind).dec();
        }
    }

    /** Bytes relayed in one read batch; {@code upstream}: from the client towards the backend. */
    public void relayed(String kind, boolean upstream, long n) {
        if (enabled && n > 0) {
            bytes.labels(kind, upstream ? "upstream" : "downstream").inc(n);
        }
    }
}
