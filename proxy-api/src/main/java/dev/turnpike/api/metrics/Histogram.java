package dev.turnpike.api.metrics;

/**
 * A distribution of observed values in cumulative buckets, exported as Prometheus exports one:
 * {@code <name>_bucket{le=...}}, {@code <name>_sum} and {@code <name>_count}. For durations, observe
 * seconds and end the name with {@code _seconds}. Label values in the order the label names were
 * given. Thread-safe, lock-free and allocation-free per observation: fit for the event loop.
 */
public interface Histogram {

    /** Records one observation. */
    void observe(double value, String... labelValues);
}
