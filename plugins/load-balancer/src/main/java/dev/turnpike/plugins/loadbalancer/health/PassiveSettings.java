package dev.turnpike.plugins.loadbalancer.health;

import dev.turnpike.api.config.ConfigSection;
import java.time.Duration;

/**
 * A group's {@code passive:} section: how real traffic takes a backend out. Failures to connect,
 * resets and timeouts always count; so do answers with one of {@code statuses}.
 *
 * @param maxFails  failures in a row that eject a backend; 0 turns passive health off
 * @param cooldown  how long an ejected backend gets no traffic before it may come back
 * @param statuses  backend statuses that count as failures
 */
public record PassiveSettings(int maxFails, Duration cooldown, StatusRanges statuses) {

    public boolean enabled() {
        return maxFails > 0;
    }

    /** Whether a backend's answer with this status counts against it. */
    public boolean failure(int status) {
        return statuses.contains(status);
    }

    public static PassiveSettings read(ConfigSection parent, String key) {
        ConfigSection s = parent.section(key);
        int maxFails = s.integer("max_fails", 3, 0, 1000);
        Duration cooldown = TimerDurations.read(s, "cooldown", Duration.ofSeconds(10));
        StatusRanges statuses = StatusRanges.read(s, "statuses", "502-504");
        return new PassiveSettings(maxFails, cooldown, statuses);
    }
}
