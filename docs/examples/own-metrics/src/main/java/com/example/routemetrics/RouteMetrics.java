package com.example.routemetrics;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.metrics.Counter;
import dev.turnpike.api.metrics.Gauge;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.pf4j.Extension;

/**
 * Per-route metrics of the plugin's own: a latency histogram, responses by status class, and
 * requests in flight, for the routes the config names.
 *
 * <pre>
 * - id: route-metrics
 *   config:
 *     routes:
 *       - { name: orders, prefix: /api/orders }
 *       - { name: api, prefix: /api/ }
 *     default_route: other        # for paths no route matches (default "other")
 *     buckets: [5ms, 10ms, 25ms, 50ms, 100ms, 250ms, 500ms, 1s, 2500ms, 5s, 10s]   # the default
 * </pre>
 *
 * <p>Exported (the runtime adds the {@code turnpike_} prefix, and {@code _total} to counters):
 * {@code route_request_duration_seconds_bucket{route,le}}, {@code _sum{route}},
 * {@code _count{route}} (see {@link LatencyHistogram}); {@code route_responses_total{route,code}}
 * with code {@code 1xx..5xx}, or {@code none} when no response was sent (the client left);
 * {@code route_in_flight{route}}.
 *
 * <p>Everything is bound once, in {@code start}: the metrics registered, each route's label values
 * built. A request only matches its route (a few prefix checks) and records on ready series. The
 * time is measured from this plugin's {@code request_filter} to {@code logging}, through the
 * per-request context; a request that an earlier plugin answered never reaches this
 * {@code request_filter}, so {@code logging} falls back to {@link Session#startNanos()}, when its
 * head had been read.
 */
@Extension
public class RouteMetrics implements ProxyPlugin<RouteMetrics.Timing> {

    /** One request's route and start, set in {@code request_filter}; both null when it did not run. */
    public static final class Timing {
        Route route;
        long startNanos;
    }

    /** A route's ready series: label values made once. */
    static final class Route {
        final LatencyHistogram.Series latency;
        final String[] name;
        final String[][] codes;

        Route(LatencyHistogram.Series latency) {
            this.latency = latency;
            this.name = latency.routeLabel();
            String route = name[0];
            this.codes = new String[][] {{route, "none"}, {route, "1xx"}, {route, "2xx"}, {route, "3xx"}, {route, "4xx"},
                    {route, "5xx"}};
        }

        /** Exports every series of {@code responses} for this route from now on, at 0. */
        Route exported(Counter responses) {
            for (String[] c : codes) {
                responses.add(0, c);
            }
            return this;
        }

        String[] code(int status) {
            return status >= 100 && status <= 599 ? codes[status / 100] : codes[0];
        }
    }

    private static final Pattern NAME = Pattern.compile("[a-z0-9_-]{1,64}");
    private static final List<Duration> DEFAULT_BUCKETS = List.of(Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10));

    private final LongSupplier clock;

    // Written by start() on the management thread before any request, then only read.
    private volatile Routes<Route> routes;
    private volatile Counter responses;
    private volatile Gauge inFlight;

    /** The plugin as the runtime makes it, timing with {@link System#nanoTime()}. */
    public RouteMetrics() {
        this(System::nanoTime);
    }

    /** With another clock, in nanoseconds on {@link System#nanoTime()}'s scale (a test's virtual one). */
    RouteMetrics(LongSupplier clock) {
        this.clock = clock;
    }

    @Override
    public void start(PluginContext context) {
        ConfigSection c = context.config();
        List<Duration> buckets = buckets(c);
        String fallback = name(c, "default_route", c.string("default_route", "other"));
        Set<String> names = new HashSet<>(Set.of(fallback));
        List<String[]> configured = new ArrayList<>(); // {name, prefix}, all checked before anything is exported
        for (ConfigSection r : c.sections("routes")) {
            String name = name(r, "name", r.string("name"));
            if (!names.add(name)) {
                throw r.invalid("name", "'" + name + "' is used twice (default_route included)");
            }
            String prefix = r.string("prefix");
            if (!prefix.startsWith("/")) {
                throw r.invalid("prefix", "'" + prefix + "' is not a path (it starts with /)");
            }
            configured.add(new String[] {name, prefix});
        }

        LatencyHistogram latency = new LatencyHistogram(context.metrics(), "route_request_duration_seconds",
                "Time from request_filter to logging, by route.", buckets);
        responses = context.metrics().counter("route_responses_total", "Responses by route and status class.", "route", "code");
        inFlight = context.metrics().gauge("route_in_flight", "Requests under way, by route.", "route");
        List<Routes.Route<Route>> list = new ArrayList<>();
        for (String[] r : configured) {
            list.add(new Routes.Route<>(r[1], new Route(latency.series(r[0])).exported(responses)));
        }
        routes = new Routes<>(list, new Route(latency.series(fallback)).exported(responses));
    }

    private static String name(ConfigSection c, String key, String value) {
        if (!NAME.matcher(value).matches()) {
            throw c.invalid(key, "'" + value + "' is not a route name (1 to 64 of a-z, 0-9, _ and -)");
        }
        return value;
    }

    private static List<Duration> buckets(ConfigSection c) {
        if (!c.has("buckets")) {
            c.list("buckets"); // read, so an explicit `buckets: ~` is not refused as unknown
            return DEFAULT_BUCKETS;
        }
        List<?> raw = c.list("buckets");
        if (raw.isEmpty() || raw.size() > 30) {
            throw c.invalid("buckets", "needs 1 to 30 upper bounds, got " + raw.size());
        }
        List<Duration> out = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            Duration d = ConfigSection.parseDuration(raw.get(i), c.keyPath("buckets") + "[" + i + "]");
            if (d.isZero() || !out.isEmpty() && d.compareTo(out.get(out.size() - 1)) <= 0) {
                throw c.invalid("buckets", "must be more than 0 and strictly increasing: " + raw);
            }
            out.add(d);
        }
        return out;
    }

    @Override
    public Timing newContext(Session session) {
        return new Timing();
    }

    @Override
    public Outcome requestFilter(Session session, Timing ctx) {
        ctx.route = routes.match(session.request().path());
        ctx.startNanos = clock.getAsLong();
        inFlight.inc(ctx.route.name);
        return Outcome.proceed();
    }

    @Override
    public void logging(Session session, Timing ctx) {
        Route route = ctx.route;
        long start = ctx.startNanos;
        if (route == null) {
            route = routes.match(session.request().path());
            start = session.startNanos();
        } else {
            inFlight.dec(route.name);
        }
        route.latency.observe(clock.getAsLong() - start);
        responses.inc(route.code(session.status()));
    }
}
