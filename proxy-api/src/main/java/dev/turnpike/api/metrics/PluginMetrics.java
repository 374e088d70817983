package dev.turnpike.api.metrics;

/**
 * Where a plugin registers its own metrics, exported with the runtime's on the metrics endpoint,
 * without depending on any metrics library. Names are prefixed with {@code turnpike_} by the
 * runtime; use snake_case and end counters with {@code _total}.
 *
 * <p>Register in {@code start()} (management thread) and keep the returned objects; recording on
 * them is thread-safe, lock-free and cheap, fit for the event loop. Asking again for a name that
 * exists (a new generation of the same plugin after a reload) returns the same series, so counts
 * carry across reloads. Keep label values bounded: every distinct combination is a time series
 * kept for the life of the process.
 */
public interface PluginMetrics {

    /** A monotonic counter with the given label names (none for a plain counter). */
    Counter counter(String name, String help, String... labelNames);

    /** A value that goes up and down, with the given label names. */
    Gauge gauge(String name, String help, String... labelNames);

    /** Metrics that record nothing: for unit tests of plugin logic. */
    static PluginMetrics noop() {
        return NoopMetrics.INSTANCE;
    }
}
