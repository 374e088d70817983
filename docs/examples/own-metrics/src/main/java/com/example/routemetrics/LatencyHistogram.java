package com.example.routemetrics;

import dev.turnpike.api.metrics.Counter;
import dev.turnpike.api.metrics.PluginMetrics;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;

/**
 * A Prometheus-style latency histogram built from counters, since the plugin API offers counters
 * and gauges only: cumulative {@code _bucket} counters labelled {@code le}, plus {@code _sum} (in
 * seconds) and {@code _count}, each also labelled by route. The runtime exports a counter with a
 * {@code _total} suffix, so the buckets come out as
 * {@code turnpike_<name>_bucket_total{route,le}}; {@code histogram_quantile} works on them as on
 * any histogram:
 * <pre>
 * histogram_quantile(0.99, sum by (route, le) (rate(turnpike_route_request_duration_seconds_bucket_total[5m])))
 * </pre>
 *
 * <p>Registered once, at start; a route's label values are built once too ({@link Series}), and
 * its series exported from then on, at 0; so recording a request allocates nothing and looks
 * nothing up. Thread-safe (the counters are).
 */
final class LatencyHistogram {

    /** One route's series, with its label values ready. Immutable. */
    final class Series {
        private final String[] route;
        private final String[][] buckets;

        private Series(String name) {
            route = new String[] {name};
            buckets = new String[bounds.length + 1][];
            for (int i = 0; i < bounds.length; i++) {
                buckets[i] = new String[] {name, le[i]};
            }
            buckets[bounds.length] = new String[] {name, "+Inf"};
            // Every series exists from the start, at 0: a bucket that first appears mid-way makes
            // rate() miss its first increase, and histogram_quantile wants all the buckets.
            for (String[] b : buckets) {
                bucket.add(0, b);
            }
            sum.add(0, route);
            count.add(0, route);
        }

        /** The route label alone, for the plugin's other series. */
        String[] routeLabel() {
            return route;
        }

        /** Records one request that took {@code nanos}. */
        void observe(long nanos) {
            for (int i = 0; i < bounds.length; i++) {
                if (nanos <= bounds[i]) {
                    bucket.inc(buckets[i]);
                }
            }
            bucket.inc(buckets[bounds.length]);
            sum.add(Math.max(0, nanos) / 1e9, route);
            count.inc(route);
        }
    }

    private final long[] bounds;
    private final String[] le;
    private final Counter bucket;
    private final Counter sum;
    private final Counter count;

    /**
     * @param name    the histogram's name, without the {@code _bucket}/{@code _sum}/{@code _count} suffixes
     * @param buckets the upper bounds, strictly increasing (checked by the caller, who knows the config key)
     */
    LatencyHistogram(PluginMetrics metrics, String name, String help, List<Duration> buckets) {
        bounds = new long[buckets.size()];
        le = new String[buckets.size()];
        for (int i = 0; i < bounds.length; i++) {
            bounds[i] = buckets.get(i).toNanos();
            le[i] = BigDecimal.valueOf(bounds[i], 9).stripTrailingZeros().toPlainString();
        }
        bucket = metrics.counter(name + "_bucket", help + " Cumulative buckets by upper bound in seconds.", "route", "le");
        sum = metrics.counter(name + "_sum", help + " Sum of durations in seconds.", "route");
        count = metrics.counter(name + "_count", help + " Number of requests.", "route");
    }

    /** The series of one route; make them at start. */
    Series series(String route) {
        return new Series(route);
    }
}
