package dev.turnpike.api.metrics;

/** {@link PluginMetrics#noop()}: accepts everything, records nothing. */
final class NoopMetrics implements PluginMetrics, Counter, Gauge, Histogram {

    static final NoopMetrics INSTANCE = new NoopMetrics();

    private NoopMetrics() {
    }

    @Override
    public Counter counter(String name, String help, String... labelNames) {
        return this;
    }

    @Override
    public Gauge gauge(String name, String help, String... labelNames) {
        return this;
    }

    @Override
    public Histogram histogram(String name, String help, double[] buckets, String... labelNames) {
        return this;
    }

    @Override
    public void observe(double value, String... labelValues) {
    }

    @Override
    public void inc(String... labelValues) {
    }

    @Override
    public void add(double amount, String... labelValues) {
    }

    @Override
    public void set(double value, String... labelValues) {
    }

    @Override
    public void dec(String... labelValues) {
    }
}
