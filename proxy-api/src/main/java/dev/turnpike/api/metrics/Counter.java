package dev.turnpike.api.metrics;

/** A monotonic counter; label values in the order the label names were given. Thread-safe. */
public interface Counter {

    /** Adds one. */
    void inc(String... labelValues);

    /** Adds {@code amount} (not negative). */
    void add(double amount, String... labelValues);
}
