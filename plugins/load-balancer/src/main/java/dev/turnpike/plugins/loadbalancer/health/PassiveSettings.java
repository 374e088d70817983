package dev.turnpike.plugins.loadbalancer.health;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.config.ConfigSection;
import java.time.Duration;

/**
 * A group's {@code passive:} section: how real traffic takes a backend out. Failures to connect,
 * resets and timeouts always count; answers count only with a status listed in {@code statuses},
 * which lists none unless configured. As in nginx: a backend that answers at all is alive, and a
 * 503 is often the application's own verdict on one request (overload, maintenance) that taking
 * the backend out would only spread to the others.
 *
 * @param maxFails  failures in a row that eject a backend; 0 turns passive health off
 * @param cooldown  how long an ejected backend gets no traffic before it may come back
 * @param statuses  backend statuses that count as failures (none by default)
 */
public record PassiveSettings(int maxFails, Duration cooldown, StatusRanges statuses) {

    public boolean enabled() {
        return maxFails > 0;
    }

    /** Whether a backend's answer with this status counts against it. */
    public boolean failure(int status) {
        return statuses.contains(status);
    }

    /** Reads {@code passive:}; a tcp chain refuses {@code statuses}, as it sees no HTTP answer. */
    public static PassiveSettings read(ConfigSection parent, String key, ChainKind chain) {
        ConfigSection s = parent.section(key);
        int maxFails = s.integer("max_fails", 3, 0, 1000);
        Duration cooldown = TimerDurations.read(s, "cooldown", Duration.ofSeconds(10));
        if (chain == ChainKind.TCP && s.has("statuses")) {
            throw s.invalid("statuses", "a tcp listener sees no HTTP status; only failures to connect count");
        }
        StatusRanges statuses = StatusRanges.readOptional(s, "statuses");
        return new PassiveSettings(maxFails, cooldown, statuses);
    }
}
