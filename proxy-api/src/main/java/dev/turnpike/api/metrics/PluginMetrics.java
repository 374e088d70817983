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

    /**
     * A histogram with these bucket upper bounds (finite, strictly increasing; {@code +Inf} is
     * added) and label names. The default refuses: an implementation without histograms says so
     * rather than drop observations.
     *
     * @throws IllegalArgumentException when the bounds are empty, not finite or not increasing, or
     *         the name is registered with another type, other labels or other bounds
     */
    default Histogram histogram(String name, String help, double[] buckets, String... labelNames) {
        throw new UnsupportedOperationException(getClass().getName() + " has no histograms");
    }

    /**
     * Drops every series whose label {@code labelName} has {@code value}: those of every plugin's
     * metrics that have such a label, and the runtime's own per-backend series (label
     * {@code backend}: {@code turnpike_upstream_*}). For a backend, group or key that is gone for
     * good, so its series stop being exported; a series recorded again afterwards starts from zero.
     * Call it from {@link dev.turnpike.api.ProxyPlugin#activated}, when no older instance still
     * records. Thread-safe; costs a walk over the series, so not for the request path.
     *
     * <p>The default does nothing, for implementations that keep no series.
     */
    default void forget(String labelName, String value) {
    }

    /** Metrics that record nothing: for unit tests of plugin logic. */
    static PluginMetrics noop() {
        return NoopMetrics.INSTANCE;
    }
}
