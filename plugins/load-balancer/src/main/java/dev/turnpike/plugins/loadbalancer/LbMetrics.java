package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.metrics.Counter;
import dev.turnpike.api.metrics.Gauge;
import dev.turnpike.api.metrics.PluginMetrics;
import dev.turnpike.plugins.loadbalancer.health.BackendHealth;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The balancer's metrics and health log: a gauge per backend (1 up, 0 down), health-check results,
 * state changes, requests that found a whole group down, and each group's panic (a gauge, and the
 * requests routed in it). Every change of a backend's state, and every entering and leaving of
 * panic, is logged once with its reason (WARN going down, INFO coming back).
 */
final class LbMetrics implements BackendHealth.Listener {

    private static final Logger log = LoggerFactory.getLogger(LoadBalancer.class);

    private final Gauge up;
    private final Counter changes;
    final Counter checks;
    private final Counter allDown;
    private final Gauge panic;
    private final Counter panicRequests;
    /** The {@code action} of a group found down and not tried: what the client got. */
    private final String unavailableAction;

    LbMetrics(PluginMetrics metrics, ChainKind chain) {
        unavailableAction = chain == ChainKind.TCP ? "reject" : "503";
        up = metrics.gauge("lb_backend_up", "Whether the backend takes traffic (1) or is down (0).", "group", "backend");
        changes = metrics.counter("lb_backend_state_changes_total", "Backends going up or down.", "group", "backend", "state");
        checks = metrics.counter("lb_health_checks_total", "Active health checks, by result.", "group", "backend", "result");
        allDown = metrics.counter("lb_all_backends_down_total",
                "Requests (or tcp connections) that found every backend of their group down, by what was done.",
                "group", "action");
        panic = metrics.gauge("lb_panic",
                "Whether the group is in panic (1): too few backends healthy, traffic spread over all of them.", "group");
        // Not lb_panic_total: a counter's family drops _total, which would clash with the gauge.
        panicRequests = metrics.counter("lb_panic_requests_total",
                "Requests routed while their group was in panic (over all its backends, healthy or not).", "group");
    }

    /** Publishes a backend's current state (at start, for backends new or carried over). */
    void publish(BackendHealth b) {
        up.set(b.up() ? 1 : 0, b.group(), b.address());
    }

    /**
     * A request (or connection) found its whole group down; {@code action} is what was done
     * ({@code UNAVAILABLE}: a 503, or a rejected connection in a tcp chain).
     */
    void allDown(String group, WhenAllDown action) {
        allDown.inc(group, action == WhenAllDown.UNAVAILABLE ? unavailableAction : action.key);
    }

    /** Publishes a group's last reported panic state (at start, without logging: nothing changed). */
    void publishPanic(String group, boolean inPanic) {
        panic.set(inPanic ? 1 : 0, group);
    }

    /** A group entered or left panic: the counts are those that made it. */
    void panic(String group, boolean inPanic, int healthy, int counted, int backends, PanicThreshold threshold) {
        publishPanic(group, inPanic);
        String awaiting = counted == backends ? "" : " (" + (backends - counted) + " more awaiting their first check)";
        if (inPanic) {
            log.warn("group {} is in PANIC: {} of {} backends healthy{}, below panic_threshold {}; spreading traffic over"
                    + " all {} of them", group, healthy, counted, awaiting, threshold, counted);
        } else {
            log.info("group {} left panic: {} of {} backends healthy{} (panic_threshold {})", group, healthy, counted,
                    awaiting, threshold);
        }
    }

    void routedInPanic(String group) {
        panicRequests.inc(group);
    }

    /** Passive health kept a failing backend in: it is the last healthy one of its group. */
    @Override
    public void kept(BackendHealth b, String reason) {
        log.warn("backend {} of group {} stays UP: {}", b.address(), b.group(), reason);
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
