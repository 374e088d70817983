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
 */
public record MetricsSettings(boolean enabled, HostPort listen) {

    static final List<String> KEYS = List.of("enabled", "listen");

    public MetricsSettings {
        Objects.requireNonNull(listen, "listen");
    }

    public static MetricsSettings defaults() {
        return read(ConfigSection.empty("metrics"));
    }

    static MetricsSettings read(ConfigSection s) {
        boolean enabled = s.bool("enabled", true);
        String text = s.string("listen", "127.0.0.1:9091");
        try {
            return new MetricsSettings(enabled, HostPort.parseAllowingPortZero(text));
        } catch (IllegalArgumentException e) {
            throw s.invalid("listen", e.getMessage());
        }
    }
}
