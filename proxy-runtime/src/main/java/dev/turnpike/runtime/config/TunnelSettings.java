package dev.turnpike.runtime.config;

import dev.turnpike.api.config.ConfigSection;
import java.time.Duration;
import java.util.List;

/**
 * {@code tunnel:} in the configuration file: connections that left HTTP (an Upgrade such as
 * WebSocket) and relay bytes both ways.
 *
 * @param idleTimeout {@code tunnel.idle_timeout}: how long a tunnel may carry no byte in either
 *                    direction before both its connections are closed (default 1h: WebSockets sit
 *                    quiet between messages far longer than requests do)
 */
public record TunnelSettings(Duration idleTimeout) {

    static final List<String> KEYS = List.of("idle_timeout");

    public static TunnelSettings defaults() {
        return new TunnelSettings(Duration.ofHours(1));
    }

    static TunnelSettings read(ConfigSection s) {
        return new TunnelSettings(Limits.duration(s, "idle_timeout", Duration.ofHours(1)));
    }
}
