package dev.turnpike.runtime.metrics;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;

/**
 * The tcp (L4) listeners, by listener name. {@code outcome} is how a connection ended:
 * {@code relayed} (connected to a backend and relayed until closed), {@code rejected} (a
 * connection phase rejected it), or the {@link dev.turnpike.api.ErrorKind} label of what failed it
 * ({@code no_peer}, {@code connect_refused}, {@code connect_timeout}, {@code plugin},
 * {@code client_abort}...). Bytes go to the tunnel metrics under kind {@code tcp}. Called on event
 * loops.
 */
public final class TcpMetrics {

    private final boolean enabled;
    private final Gauge open;
    private final Counter ended;
    private final Counter attempts;

    TcpMetrics(CollectorRegistry registry, boolean enabled) {
        this.enabled = enabled;
        open = Gauge.build().name("turnpike_tcp_connections_open")
                .help("Client connections of tcp listeners open now (in their phases or relaying), by listener.")
                .labelNames("listener").register(registry);
        ended = Counter.build().name("turnpike_tcp_connections_total")
                .help("Client connections of tcp listeners that ended, by listener and outcome (relayed, rejected, or the error kind).")
                .labelNames("listener", "outcome").register(registry);
        attempts = Counter.build().name("turnpike_tcp_upstream_connects_total")
                .help("Backend connects of tcp listeners, by listener and result (ok, or the error kind).")
                .labelNames("listener", "result").register(registry);
    }

    public void accepted(String listener) {
        if (enabled) {
            open.labels(listener).inc();
        }
    }

    public void ended(String listener, String outcome) {
        if (enabled) {
            open.labels(listener).dec();
            ended.labels(listener, outcome).inc();
        }
    }

    /** One backend connect ended: {@code result} is {@code ok} or the error kind's label. */
    public void connected(String listener, String result) {
        if (enabled) {
            attempts.labels(listener, result).inc();
        }
    }
}
