package dev.turnpike.runtime.http;

import io.prometheus.client.Collector;
import java.time.Duration;
import java.util.Collections;

/**
 * {@link InJvmProxy} for the wire conformance tests of {@code dev.turnpike.runtime.wire}: one
 * event loop, upstream pooling off (every upstream connection carries one request and is then
 * closed, so what a backend saw on a connection belongs to one client request), short head, body and idle
 * timeouts (a proxy that waits for bytes that never come ends the exchange itself instead of the
 * test waiting for it), and the few gauges a test needs to know the proxy has gone quiet.
 */
public final class WireProxy implements AutoCloseable {

    /** How long the proxy waits for a head or a body that stopped: only bounds a stuck exchange. */
    public static final Duration STALL = Duration.ofMillis(300);

    private final InJvmProxy proxy;

    private WireProxy(InJvmProxy proxy) {
        this.proxy = proxy;
    }

    /** A proxy routing every request to 127.0.0.1:{@code backendPort}. */
    public static WireProxy start(int backendPort) throws InterruptedException {
        return new WireProxy(InJvmProxy.builder()
                .workers(1)
                .maxIdlePerPeer(0)
                .headerTimeout(STALL)
                .idleTimeout(STALL)
                .requestBodyTimeout(STALL)
                .readTimeout(Duration.ofSeconds(2))
                .plugin("route", new Route(backendPort))
                .start());
    }

    public int port() {
        return proxy.port();
    }

    /** Client connections open now. */
    public double clientConnections() {
        return proxy.metric("turnpike_client_connections");
    }

    /** Upstream connections held by a request now. */
    public double upstreamInUse() {
        return sample("turnpike_upstream_connections", "in_use");
    }

    /** Upstream connections the proxy opened so far (connects that succeeded). */
    public double upstreamConnects() {
        return proxy.metric("turnpike_upstream_connect_duration_seconds_count");
    }

    /** Bytes read from clients so far. */
    public double clientBytesReceived() {
        return proxy.metric("turnpike_client_received_bytes_total");
    }

    private double sample(String name, String state) {
        double sum = 0;
        for (Collector.MetricFamilySamples family : Collections.list(proxy.metrics().registry().metricFamilySamples())) {
            for (Collector.MetricFamilySamples.Sample s : family.samples) {
                if (s.name.equals(name) && s.labelValues.contains(state)) {
                    sum += s.value;
                }
            }
        }
        return sum;
    }

    @Override
    public void close() {
        proxy.close();
    }
}
