package dev.turnpike.api.metrics;

/** A value that can go up and down; label values in the order the label names were given. Thread-safe. */
public interface Gauge {

    void set(double value, String... labelValues);

    void inc(String... labelValues);

    void dec(String... labelValues);
}
