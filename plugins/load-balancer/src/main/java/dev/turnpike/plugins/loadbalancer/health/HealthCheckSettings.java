package dev.turnpike.plugins.loadbalancer.health;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.health.HttpProbe;
import java.time.Duration;
import java.util.List;

/**
 * A group's {@code health_check:} section: how and how often each backend is probed, and how many
 * results in a row change its state.
 *
 * @param http      the HTTP request to send, or {@code null} for a TCP connect check
 * @param interval  time between the starts of two checks of one backend
 * @param timeout   how long one check may take
 * @param rise      successes in a row that bring a down backend up
 * @param fall      failures in a row that take an up backend down
 * @param expect    the statuses an HTTP check accepts (none for TCP)
 * @param initialUp the state of a backend before its first verdict
 */
public record HealthCheckSettings(HttpProbe http, Duration interval, Duration timeout, int rise, int fall,
                                  StatusRanges expect, boolean initialUp) {

    /** Whether an HTTP status counts as healthy. */
    public boolean accepts(int status) {
        return expect.contains(status);
    }

    /**
     * Reads {@code health_check:}; {@code null} when the section is absent. A tcp chain's backends
     * need not speak HTTP, so there the type defaults to {@code tcp} and {@code http} is refused.
     */
    public static HealthCheckSettings read(ConfigSection parent, String key, ChainKind chain) {
        if (!parent.has(key)) {
            return null;
        }
        ConfigSection s = parent.section(key);
        boolean tcpChain = chain == ChainKind.TCP;
        String type = s.oneOf("type", tcpChain ? "tcp" : "http", "http", "tcp");
        if (tcpChain && type.equals("http")) {
            throw s.invalid("type", "the backends of a tcp listener need not speak HTTP; use type: tcp");
        }
        Duration interval = TimerDurations.read(s, "interval", Duration.ofSeconds(2));
        Duration timeout = TimerDurations.read(s, "timeout", Duration.ofSeconds(1));
        int rise = s.integer("rise", 2, 1, 100);
        int fall = s.integer("fall", 3, 1, 100);
        boolean initialUp = s.oneOf("initial", "up", "up", "down").equals("up");
        HttpProbe http = null;
        StatusRanges expect = StatusRanges.NONE;
        if (type.equals("http")) {
            String method = s.string("method", "GET");
            String path = s.string("path", "/");
            String host = s.string("host", null);
            try {
                http = new HttpProbe(method, path, host, timeout);
            } catch (IllegalArgumentException e) {
                String which = e.getMessage().startsWith("method") ? "method" : e.getMessage().startsWith("path") ? "path" : "host";
                throw s.invalid(which, e.getMessage());
            }
            expect = StatusRanges.read(s, "expect_status", "200-399");
        } else {
            for (String httpOnly : List.of("method", "path", "host", "expect_status")) {
                if (s.has(httpOnly)) {
                    throw s.invalid(httpOnly, "only for type: http");
                }
            }
        }
        return new HealthCheckSettings(http, interval, timeout, rise, fall, expect, initialUp);
    }
}
