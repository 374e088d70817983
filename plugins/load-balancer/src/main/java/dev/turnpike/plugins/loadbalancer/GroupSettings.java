package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.Peer;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.plugins.loadbalancer.health.HealthCheckSettings;
import dev.turnpike.plugins.loadbalancer.health.PassiveSettings;
import dev.turnpike.plugins.loadbalancer.health.TimerDurations;
import java.time.Duration;
import java.util.List;

/**
 * One upstream group as configured: its backends and how they are chosen, checked and retried.
 *
 * @param name           the group's name (its key under {@code groups:}, or {@code default})
 * @param backends       the backends, each a peer with its timeouts and TLS settings, and its weight ({@link BackendSettings})
 * @param policy         how a backend is chosen
 * @param hashKey        what {@link Policy#CONSISTENT_HASH} hashes (null for other policies)
 * @param check          active health checks, or null for none
 * @param passive        passive health from real traffic
 * @param panicThreshold the share of healthy backends below which the group spreads traffic over all of them
 * @param whenAllDown    what the group does when none of its backends is healthy
 * @param maxRetries     further backends tried after a failed attempt
 */
record GroupSettings(String name, List<Backend> backends, Policy policy, HashKey hashKey, HealthCheckSettings check,
                     PassiveSettings passive, PanicThreshold panicThreshold, WhenAllDown whenAllDown, int maxRetries) {

    /** A configured backend. */
    record Backend(Peer peer, int weight) {
    }

    /** The keys a group takes (at the top of the plugin's config too, for the one-group form). */
    static final List<String> KEYS = List.of("backends", "policy", "hash_key", "health_check", "passive", "panic_threshold",
            "when_all_down", "max_retries", "connect_timeout", "read_timeout");

    /** A group of an HTTP chain ({@code plugins.chain}). */
    static GroupSettings read(ConfigSection s, String name) {
        return read(s, name, ChainKind.HTTP);
    }

    /**
     * A group of a chain of this kind. A tcp chain refuses what only HTTP gives a meaning to: a hash
     * of the path or a header, an HTTP health check, statuses that count as failures.
     */
    static GroupSettings read(ConfigSection s, String name, ChainKind chain) {
        Duration connectTimeout = TimerDurations.read(s, "connect_timeout", null);
        Duration readTimeout = TimerDurations.read(s, "read_timeout", null);
        List<Backend> backends = BackendSettings.read(s, name, connectTimeout, readTimeout);
        Policy policy = Policy.of(s.oneOf("policy", "round_robin", Policy.keys()));
        HashKey hashKey = null;
        if (policy == Policy.CONSISTENT_HASH) {
            hashKey = HashKey.read(s, "hash_key", chain);
        } else if (s.has("hash_key")) {
            throw s.invalid("hash_key", "only for policy: consistent_hash");
        }
        HealthCheckSettings check = HealthCheckSettings.read(s, "health_check", chain);
        PassiveSettings passive = PassiveSettings.read(s, "passive", chain);
        PanicThreshold panic = PanicThreshold.read(s, "panic_threshold");
        WhenAllDown whenAllDown = WhenAllDown.read(s, "when_all_down", panic);
        int maxRetries = s.integer("max_retries", 2, 0, 9);
        return new GroupSettings(name, List.copyOf(backends), policy, hashKey, check, passive, panic, whenAllDown,
                maxRetries);
    }
}
