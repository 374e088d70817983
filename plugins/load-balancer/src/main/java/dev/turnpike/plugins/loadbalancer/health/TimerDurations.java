package dev.turnpike.plugins.loadbalancer.health;

import dev.turnpike.api.config.ConfigSection;
import java.time.Duration;

/** Reads the durations that become timers (intervals, timeouts, cool-downs). */
public final class TimerDurations {

    private TimerDurations() {
    }

    /**
     * The duration under {@code key} ({@code fallback} when absent, which may be null), refused
     * below 1ms: timers count whole milliseconds, so 0.5ms would run as 0 (no pause, or no timeout
     * at all for a connect).
     */
    public static Duration read(ConfigSection s, String key, Duration fallback) {
        Duration d = s.duration(key, fallback);
        if (d != null && d.toMillis() < 1) {
            throw s.invalid(key, "must be at least 1ms");
        }
        return d;
    }
}
