package dev.turnpike.plugins.ratelimit;

import static dev.turnpike.plugins.ratelimit.Limiters.PREFIX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.testkit.phases.FakePluginContext;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The config: defaults, every key read, and refusals that name the key's full path. */
class SettingsTest {

    private static InvalidConfigException refused(Object... keyValues) {
        return assertThrows(InvalidConfigException.class, () -> new Limiters().start(keyValues));
    }

    private static void assertRefused(String key, String reasonPart, Object... keyValues) {
        InvalidConfigException e = refused(keyValues);
        assertEquals(PREFIX + "." + key, e.key(), e::getMessage);
        assertTrue(e.reason().contains(reasonPart), () -> "reason '" + e.reason() + "' lacks '" + reasonPart + "'");
    }

    @Test
    void defaults() {
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 10, "refill_per_second", 0.5);
        Settings s = r.settings();
        assertEquals(Settings.Mode.TOKEN_BUCKET, s.mode);
        assertEquals(Settings.KeyKind.IP, s.key);
        assertTrue(s.trustedProxies.isEmpty());
        assertFalse(s.headers);
        assertEquals(100_000, s.maxKeys);
        assertEquals(64, s.ipv6Prefix);
        assertEquals("plugins.chain[0]", s.name);
        assertNull(s.header);
        assertEquals(List.of(), l.lastContext.config().unreadKeys());
    }

    @Test
    void everyKeyOfAFullConfigIsRead() {
        Limiters l = new Limiters();
        l.start("mode", "token_bucket", "burst", 5, "refill_per_second", 2, "key", "header", "header", "X-App-Id",
                "missing_key", "shared", "trusted_proxies", List.of("10.0.0.0/8", "fd00::/8", "192.0.2.1"),
                "ipv6_prefix", 56, "headers", true, "max_keys", 5000, "name", "api");
        assertEquals(List.of(), l.lastContext.config().unreadKeys());
        Settings s = l.start("mode", "sliding_window", "max_requests", 10, "window", "60s", "key", "ip_path",
                "path_prefixes", List.of("/api", "/login")).settings();
        assertEquals(List.of(), l.lastContext.config().unreadKeys());
        assertEquals(Duration.ofSeconds(60), s.window);
        assertEquals("x-app-id", new Limiters().start("burst", 1, "refill_per_second", 1, "key", "header", "header", "X-App-Id")
                .settings().header);
    }

    @Test
    void anUnknownKeyIsLeftUnreadForTheHostToRefuse() {
        Limiters l = new Limiters();
        l.start("burst", 10, "refill_per_second", 0.5, "brust", 3);
        assertEquals(List.of(PREFIX + ".brust"), l.lastContext.config().unreadKeys());
    }

    @Test
    void aBadCidrIsRefusedWithItsIndex() {
        InvalidConfigException e = refused("burst", 10, "refill_per_second", 0.5,
                "trusted_proxies", List.of("10.0.0.0/8", "10.0.0.0/33", "192.0.2.1"));
        assertEquals(PREFIX + ".trusted_proxies[1]", e.key());
        assertTrue(e.reason().contains("10.0.0.0/33"), e.reason());
        assertRefused("trusted_proxies[0]", "not an IP address", "burst", 10, "refill_per_second", 0.5,
                "trusted_proxies", List.of("proxy.example.com"));
        assertRefused("trusted_proxies", "expected a list", "burst", 10, "refill_per_second", 0.5,
                "trusted_proxies", "10.0.0.0/8");
    }

    @Test
    void tokenBucketNumbers() {
        assertRefused("burst", "outside 1..", "burst", -5, "refill_per_second", 0.5);
        assertRefused("burst", "outside 1..", "burst", 0, "refill_per_second", 0.5);
        assertRefused("burst", "whole number", "burst", 2.5, "refill_per_second", 0.5);
        assertRefused("burst", "required", "refill_per_second", 0.5);
        assertRefused("refill_per_second", "required", "burst", 10);
        assertRefused("refill_per_second", "more than 0", "burst", 10, "refill_per_second", 0);
        assertRefused("refill_per_second", "more than 0", "burst", 10, "refill_per_second", -1);
        assertRefused("refill_per_second", "expected a number", "burst", 10, "refill_per_second", "fast");
        assertRefused("refill_per_second", "at most", "burst", 10, "refill_per_second", 2e9);
        assertRefused("refill_per_second", "full refill", "burst", 1_000_000_000, "refill_per_second", 1e-9);
    }

    @Test
    void slidingWindowNumbers() {
        assertRefused("max_requests", "required", "mode", "sliding_window", "window", "60s");
        assertRefused("window", "required", "mode", "sliding_window", "max_requests", 10);
        assertRefused("max_requests", "outside 1..", "mode", "sliding_window", "max_requests", 0, "window", "60s");
        assertRefused("window", "more than 0", "mode", "sliding_window", "max_requests", 10, "window", "0s");
        assertRefused("window", "at most 24h", "mode", "sliding_window", "max_requests", 10, "window", "25h");
        assertRefused("window", "duration", "mode", "sliding_window", "max_requests", 10, "window", "a minute");
    }

    @Test
    void anUnknownModeOrKeyKind() {
        assertRefused("mode", "'leaky_bucket' is not one of token_bucket, sliding_window", "mode", "leaky_bucket");
        assertRefused("key", "'cookie' is not one of ip, header, ip_path", "burst", 1, "refill_per_second", 1, "key", "cookie");
    }

    @Test
    void keysOfTheOtherModeAreRefusedNotIgnored() {
        assertRefused("window", "only with mode: sliding_window", "burst", 10, "refill_per_second", 0.5, "window", "60s");
        assertRefused("max_requests", "only with mode: sliding_window", "burst", 10, "refill_per_second", 0.5, "max_requests", 3);
        assertRefused("burst", "only with mode: token_bucket", "mode", "sliding_window", "max_requests", 10, "window", "60s",
                "burst", 3);
        assertRefused("refill_per_second", "only with mode: token_bucket", "mode", "sliding_window", "max_requests", 10,
                "window", "60s", "refill_per_second", 3);
    }

    @Test
    void keyOptions() {
        assertRefused("header", "required with key: header", "burst", 1, "refill_per_second", 1, "key", "header");
        assertRefused("header", "not a header name", "burst", 1, "refill_per_second", 1, "key", "header", "header", "app id");
        assertRefused("header", "only with key: header", "burst", 1, "refill_per_second", 1, "header", "appid");
        assertRefused("missing_key", "only with key: header", "burst", 1, "refill_per_second", 1, "missing_key", "allow");
        assertRefused("missing_key", "'deny' is not one of allow, shared, ip", "burst", 1, "refill_per_second", 1,
                "key", "header", "header", "appid", "missing_key", "deny");
        assertRefused("path_prefixes", "required with key: ip_path", "burst", 1, "refill_per_second", 1, "key", "ip_path");
        assertRefused("path_prefixes", "at least one", "burst", 1, "refill_per_second", 1, "key", "ip_path",
                "path_prefixes", List.of());
        assertRefused("path_prefixes[1]", "must start with /", "burst", 1, "refill_per_second", 1, "key", "ip_path",
                "path_prefixes", List.of("/api", "login"));
        assertRefused("path_prefixes[0]", "cannot hold", "burst", 1, "refill_per_second", 1, "key", "ip_path",
                "path_prefixes", List.of("/api?x"));
        assertRefused("path_prefixes", "only with key: ip_path", "burst", 1, "refill_per_second", 1,
                "path_prefixes", List.of("/api"));
    }

    @Test
    void otherNumbers() {
        assertRefused("ipv6_prefix", "outside 1..128", "burst", 1, "refill_per_second", 1, "ipv6_prefix", 0);
        assertRefused("ipv6_prefix", "outside 1..128", "burst", 1, "refill_per_second", 1, "ipv6_prefix", 129);
        assertRefused("max_keys", "outside 1..", "burst", 1, "refill_per_second", 1, "max_keys", 0);
        assertRefused("headers", "true or false", "burst", 1, "refill_per_second", 1, "headers", "yes");
        assertRefused("name", "printable", "burst", 1, "refill_per_second", 1, "name", "two words");
    }

    @Test
    void theDefaultNameIsTheChainEntry() {
        assertEquals("plugins.chain[3]", Settings.defaultName("plugins.chain[3].config"));
        assertEquals("rate-limit", Settings.defaultName(""));
        Settings s = Settings.parse(ConfigSection.of("", FakePluginContext.mapping("burst", 1, "refill_per_second", 1)));
        assertEquals("rate-limit", s.name);
    }
}
