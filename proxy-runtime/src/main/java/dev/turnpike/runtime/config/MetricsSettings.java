package dev.turnpike.runtime.config;

import dev.turnpike.api.HostPort;
import dev.turnpike.api.config.ConfigSection;
import java.util.List;
import java.util.Objects;

/**
 * {@code metrics:}: the admin listener that serves Prometheus metrics on {@code /metrics} (and the
 * admin endpoints). It runs on threads of its own, never on an event loop.
 *
 * @param enabled {@code metrics.enabled}: whether to listen at all (default true)
 * @param listen  {@code metrics.listen}: where (default {@code 127.0.0.1:9091}; port 0 picks a free one)
 * @param groupLabel {@code metrics.group_label}: whether {@code turnpike_requests_total} and
 *                {@code turnpike_request_duration_seconds} carry a {@code group} label, the group the
 *                plugin that chose the last peer named (a load balancer's group); default false
 */
public record MetricsSettings(boolean enabled, HostPort listen, boolean groupLabel) {

    static final List<String> KEYS = List.of("enabled", "listen", "group_label");

    public MetricsSettings(boolean enabled, HostPort listen) {
        this(enabled, listen, false);
    }

    public MetricsSettings {
        Objects.requireNonNull(listen, "listen");
    }

    public static MetricsSettings defaults() {
        return read(ConfigSection.empty("metrics"));
    }

    static MetricsSettings read(ConfigSection s) {
        boolean enabled = s.bool("enabled", true);
        String text = s.string("listen", "127.0.0.1:9091");
        boolean groupLabel = s.bool("group_label", false);
        try {
            return new MetricsSettings(enabled, HostPort.parseAllowingPortZero(text), groupLabel);
        } catch (IllegalArgumentException e) {
            throw s.invalid("listen", e.getMessage());
        }
    }
}
