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
import java.util.Map;
import org.junit.jupiter.api.Test;

/** store: redis configuration: forms of uri, defaults, and fail-closed refusals naming the key. */
class RedisSettingsTest {

    private static Settings parse(Object... keyValues) {
        ConfigSection c = ConfigSection.of(PREFIX, FakePluginContext.mapping(keyValues));
        Settings s = Settings.parse(c);
        assertEquals(List.of(), c.unreadKeys(), "every key read");
        return s;
    }

    private static Settings redis(Map<String, Object> redis, Object... more) {
        Object[] kv = new Object[more.length + 6];
        System.arraycopy(new Object[] {"burst", 10, "refill_per_second", 1, "store", "redis"}, 0, kv, 0, 6);
        System.arraycopy(more, 0, kv, 6, more.length);
        Object[] all = java.util.Arrays.copyOf(kv, kv.length + 2);
        all[kv.length] = "redis";
        all[kv.length + 1] = redis;
        return parse(all);
    }

    private static void assertRefused(String key, String reasonPart, Map<String, Object> redisSection, Object... more) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> redis(redisSection, more));
        assertEquals(PREFIX + "." + key, e.key(), e::getMessage);
        assertTrue(e.reason().contains(reasonPart), () -> "reason '" + e.reason() + "' lacks '" + reasonPart + "'");
    }

    private static Map<String, Object> section(Object... kv) {
        return FakePluginContext.mapping(kv);
    }

    @Test
    void defaultsAreLocalAndRedisHasTheIssuesDefaults() {
        assertEquals(Settings.Store.LOCAL, parse("burst", 1, "refill_per_second", 1).store);
        RedisSettings r = redis(section("uri", "redis://127.0.0.1:6379")).redis;
        assertEquals(RedisSettings.Topology.STANDALONE, r.topology);
        assertFalse(r.tls);
        assertEquals(Duration.ofMillis(20), r.timeout);
        assertEquals(RedisSettings.OnError.ALLOW, r.onError);
        assertEquals("tp:", r.keyPrefix);
        assertNull(r.syncInterval);
    }

    @Test
    void everyUriForm() {
        RedisSettings tls = redis(section("uri", "rediss://user:secret@cache.example:6380/2", "timeout", "50ms",
                "on_error", "deny", "key_prefix", "edge:", "sync_interval", "100ms")).redis;
        assertTrue(tls.tls);
        assertTrue(tls.uris.get(0).isSsl());
        assertEquals(2, tls.uris.get(0).getDatabase());
        assertEquals("rediss://***@cache.example:6380/2", tls.uriForLog, "no password in the log");
        assertEquals(Duration.ofMillis(100), tls.syncInterval);

        RedisSettings sentinel = redis(section("uri", "redis-sentinel://10.0.0.1:26379,10.0.0.2:26379#mymaster")).redis;
        assertEquals(RedisSettings.Topology.SENTINEL, sentinel.topology);
        assertEquals("mymaster", sentinel.uris.get(0).getSentinelMasterId());
        assertEquals(2, sentinel.uris.get(0).getSentinels().size());

        RedisSettings cluster = redis(section("uri", "rediss-cluster://:pw@10.0.0.1:7000,10.0.0.2:7001")).redis;
        assertEquals(RedisSettings.Topology.CLUSTER, cluster.topology);
        assertTrue(cluster.tls);
        assertEquals(2, cluster.uris.size());
        assertEquals(7001, cluster.uris.get(1).getPort());
        assertTrue(cluster.uris.get(1).isSsl());
    }

    @Test
    void refusalsNameTheKey(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        String notPem = java.nio.file.Files.writeString(dir.resolve("ca.pem"), "not a certificate\n").toString();
        assertRefused("redis.uri", "required with store: redis", section("timeout", "20ms"));
        assertRefused("redis.uri", "is not a redis://", section("uri", "http://127.0.0.1:6379"));
        assertRefused("redis.uri", "is not a redis://", section("uri", "127.0.0.1:6379"));
        assertRefused("redis.uri", "names its master", section("uri", "redis-sentinel://10.0.0.1:26379"));
        assertRefused("redis.uri", "no database number", section("uri", "redis-cluster://10.0.0.1:7000/1"));
        assertRefused("redis.uri", "an empty seed", section("uri", "redis-cluster://10.0.0.1:7000,,10.0.0.2:7000"));
        assertRefused("redis.timeout", "more than 0 and at most 5s", section("uri", "redis://h", "timeout", "0ms"));
        assertRefused("redis.timeout", "more than 0 and at most 5s", section("uri", "redis://h", "timeout", "6s"));
        assertRefused("redis.on_error", "not one of allow, deny", section("uri", "redis://h", "on_error", "maybe"));
        assertRefused("redis.key_prefix", "braces", section("uri", "redis://h", "key_prefix", "tp{x}:"));
        assertRefused("redis.sync_interval", "at least 1ms", section("uri", "redis://h", "sync_interval", "0.5ms"));
        assertRefused("redis.sync_interval", "at most 60s", section("uri", "redis://h", "sync_interval", "2m"));
        assertRefused("name", "braces", section("uri", "redis://h"), "name", "a{b}");
        assertRefused("redis.ca_file", "only with a rediss:// URI", section("uri", "redis://h", "ca_file", notPem));
        assertRefused("redis.ca_file", "cannot read", section("uri", "rediss://h", "ca_file", "/no/such/ca.pem"));
        assertRefused("redis.ca_file", "is not a PEM certificate file", section("uri", "rediss://h", "ca_file", notPem));
        assertRefused("refill_per_second", "at most 1000000 with store: redis", section("uri", "redis://h"),
                "refill_per_second", 2_000_000);
    }

    @Test
    void theRedisSectionBelongsToStoreRedisAndItsKeysAreChecked() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> parse("burst", 1, "refill_per_second", 1, "redis", section("uri", "redis://h")));
        assertEquals(PREFIX + ".redis", e.key());
        assertTrue(e.reason().contains("only with store: redis"), e.reason());
        assertRefused("store", "not one of local, redis", section("uri", "redis://h"), "store", "memcached");

        ConfigSection c = ConfigSection.of(PREFIX, FakePluginContext.mapping("burst", 1, "refill_per_second", 1, "store", "redis",
                "redis", section("uri", "redis://h", "timeuot", "20ms")));
        Settings.parse(c);
        assertEquals(List.of(PREFIX + ".redis.timeuot"), c.unreadKeys(), "a misspelt key inside redis: is unknown");
    }
}
