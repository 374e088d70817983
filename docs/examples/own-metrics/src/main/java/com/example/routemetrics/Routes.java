package com.example.routemetrics;

import java.util.List;

/**
 * Which route a path belongs to: the first route, in config order, whose prefix starts the path,
 * or the default. Routes are a short, fixed list from the config, so label values stay bounded
 * whatever paths clients send. Immutable and thread-safe.
 *
 * @param <R> what the plugin keeps per route
 */
final class Routes<R> {

    /** One configured route. */
    record Route<R>(String prefix, R value) {
    }

    private final List<Route<R>> routes;
    private final R fallback;

    Routes(List<Route<R>> routes, R fallback) {
        this.routes = List.copyOf(routes);
        this.fallback = fallback;
    }

    R match(String path) {
        for (Route<R> r : routes) {
            if (path.startsWith(r.prefix())) {
                return r.value();
            }
        }
        return fallback;
    }
}
