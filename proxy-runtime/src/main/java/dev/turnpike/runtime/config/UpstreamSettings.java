package dev.turnpike.runtime.config;

import dev.turnpike.api.config.ConfigSection;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The backend side of the proxy, {@code upstream:} in the configuration file: how connections to
 * the peers that plugins choose are opened, waited on and pooled. Every key is optional; the
 * defaults are given per component. Durations lie within 1ms..24h.
 *
 * @param connectTimeout {@code upstream.connect_timeout}: how long opening a connection to a peer
 *                       may take before the request fails (default 2s)
 * @param readTimeout    {@code upstream.read_timeout}: how long a peer may stay silent while the
 *                       proxy is reading from it: from the end of the request to the response head,
 *                       and between two reads of the response body. The clock stops while the proxy
 *                       itself has stopped reading (a slow client, a plugin's pending stage), so a
 *                       slow client is never blamed on the backend (default 30s)
 * @param writeTimeout   {@code upstream.write_timeout}: how long a peer may take no bytes of the
 *                       request while the proxy has some waiting for it (default 60s)
 * @param totalTimeout   {@code upstream.total_timeout}: the most time the backends have to start
 *                       answering, over every attempt and retry: from the end of the request (its
 *                       body included) or the first attempt, whichever comes later, to the response
 *                       head; {@code null} (the default) for no such limit
 * @param idleTimeout    {@code upstream.idle_timeout}: how long an idle pooled connection is kept
 *                       for reuse before it is closed (default 60s)
 * @param maxIdlePerPeer {@code upstream.max_idle_per_peer}: how many idle connections to one peer
 *                       each event loop keeps for reuse; 0 turns pooling off (default 512, as nginx's
 *                       {@code keepalive 512} per worker: with fewer, a burst of responses closes
 *                       what the next burst of requests must open again; 0..16384)
 * @param retryBodyLimit {@code upstream.retry_body_limit}: the largest request body kept in memory
 *                       while it goes upstream so that a failed attempt can be retried on another
 *                       backend; a longer body is not retried once any of it went out. Kept only when
 *                       a plugin of the chain implements a failure hook. 0 turns replay off
 *                       (default 64k, 0..16m)
 */
public record UpstreamSettings(
        Duration connectTimeout,
        Duration readTimeout,
        Duration idleTimeout,
        int maxIdlePerPeer,
        int retryBodyLimit,
        Duration writeTimeout,
        Duration totalTimeout) {

    /** The keys of {@code upstream:}, for the hint that goes with an unknown key. */
    static final List<String> KEYS = List.of("connect_timeout", "read_timeout", "idle_timeout", "max_idle_per_peer",
            "retry_body_limit", "write_timeout", "total_timeout");

    public UpstreamSettings {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(writeTimeout, "writeTimeout");
    }

    /** The settings of an absent {@code upstream:} section. */
    public static UpstreamSettings defaults() {
        return read(ConfigSection.empty("upstream"));
    }

    /** Reads and checks {@code upstream:}; errors name the key. */
    static UpstreamSettings read(ConfigSection s) {
        return new UpstreamSettings(
                Limits.duration(s, "connect_timeout", Duration.ofSeconds(2)),
                Limits.duration(s, "read_timeout", Duration.ofSeconds(30)),
                Limits.duration(s, "idle_timeout", Duration.ofSeconds(60)),
                s.integer("max_idle_per_peer", 512, 0, 16384),
                Limits.size(s, "retry_body_limit", 64 << 10, 0, 16 << 20),
                Limits.duration(s, "write_timeout", Duration.ofSeconds(60)),
                s.has("total_timeout") ? Limits.duration(s, "total_timeout", null) : null);
    }
}
