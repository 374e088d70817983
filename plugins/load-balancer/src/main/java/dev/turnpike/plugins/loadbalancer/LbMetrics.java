package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.api.metrics.Counter;
import dev.turnpike.api.metrics.Gauge;
import dev.turnpike.api.metrics.PluginMetrics;
import dev.turnpike.plugins.loadbalancer.health.BackendHealth;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The balancer's metrics and health log: a gauge per backend (1 up, 0 down), health-check results,
 * state changes, and requests answered 503 because a whole group was down. Every change of a
 * backend's state is logged once, with its reason (WARN going down, INFO coming back).
 */
final class LbMetrics implements BackendHealth.Listener {

    private static final Logger log = LoggerFactory.getLogger(LoadBalancer.class);

    private final Gauge up;
    private final Counter changes;
    final Counter checks;
    private final Counter allDown;

    LbMetrics(PluginMetrics metrics) {
        up = metrics.gauge("lb_backend_up", "Whether the backend takes traffic (1) or is down (0).", "group", "backend");
        changes = metrics.counter("lb_backend_state_changes_total", "Backends going up or down.", "group", "backend", "state");
        checks = metrics.counter("lb_health_checks_total", "Active health checks, by result.", "group", "backend", "result");
        allDown = metrics.counter("lb_all_backends_down_total",
                "Requests that found every backend of their group down, by what was done.", "group", "action");
    }

    /** Publishes a backend's current state (at start, for backends new or carried over). */
    void publish(BackendHealth b) {
        up.set(b.up() ? 1 : 0, b.group(), b.address());
    }

    void allDown(String group, boolean failOpen) {
        allDown.inc(group, failOpen ? "fail_open" : "503");
    }

    @Override
    public void changed(BackendHealth b, boolean nowUp, String reason) {
        up.set(nowUp ? 1 : 0, b.group(), b.address());
        changes.inc(b.group(), b.address(), nowUp ? "up" : "down");
        if (nowUp) {
            log.info("backend {} of group {} is UP: {}", b.address(), b.group(), reason);
        } else {
            log.warn("backend {} of group {} is DOWN: {}", b.address(), b.group(), reason);
        }
    }
}
