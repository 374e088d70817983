package dev.turnpike.plugins.loadbalancer;

import static dev.turnpike.plugins.loadbalancer.LbTestSupport.TCP_PREFIX;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.context;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.defaultGroup;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.map;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.started;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.testkit.phases.FakePluginContext;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a tcp chain refuses at start, naming the key: what only HTTP gives a meaning to. Each
 * refused config is accepted by an HTTP chain, so the refusal is the tcp chain's own.
 */
class TcpConfigTest {

    private static Map<String, Object> oneGroup(Object... keysAndValues) {
        Map<String, Object> m = map(keysAndValues);
        m.putIfAbsent("backends", List.of("127.0.0.1:15432", "127.0.0.1:15433"));
        return m;
    }

    private static Map<String, Object> twoGroups(Object... keysAndValues) {
        Map<String, Object> m = map(keysAndValues);
        m.put("groups", map("primary", map("backends", List.of("a:1")), "replica", map("backends", List.of("b:2"))));
        return m;
    }

    /** Refused by a tcp chain; and accepted, with every key read, by an HTTP chain. */
    private static InvalidConfigException refusedForTcpOnly(Map<String, Object> config) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> started(context(config, ChainKind.TCP)));
        FakePluginContext http = context(config, ChainKind.HTTP);
        started(http);
        assertEquals(List.of(), http.config().unreadKeys());
        return e;
    }

    private static LoadBalancer acceptedForTcp(Map<String, Object> config) {
        FakePluginContext ctx = context(config, ChainKind.TCP);
        LoadBalancer lb = started(ctx);
        assertEquals(List.of(), ctx.config().unreadKeys(), "every key of an accepted config is read");
        return lb;
    }

    @Test
    void refusesRoutes() {
        InvalidConfigException e = refusedForTcpOnly(twoGroups(
                "routes", List.of(map("host", "db.example.com", "group", "primary")), "default_group", "replica"));
        assertEquals(TCP_PREFIX + ".routes", e.key());
        assertEquals("a tcp listener has no Host or path to route on; use default_group", e.reason());
    }

    @Test
    void refusesRoutesInTheOneGroupFormWithTheSameReason() {
        // Refused by HTTP too ("needs groups:"), but the tcp reason is the one that helps.
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> started(context(
                oneGroup("routes", List.of(map("path_prefix", "/", "group", "default"))), ChainKind.TCP)));
        assertEquals(TCP_PREFIX + ".routes", e.key());
        assertEquals("a tcp listener has no Host or path to route on; use default_group", e.reason());
    }

    @Test
    void refusesSeveralGroupsWithoutADefaultGroup() {
        InvalidConfigException e = refusedForTcpOnly(twoGroups());
        assertEquals(TCP_PREFIX + ".default_group", e.key());
        assertTrue(e.reason().startsWith("required with several groups"), e.reason());
    }

    @Test
    void acceptsOneGroupUnderGroupsWithoutADefaultGroup() {
        LoadBalancer lb = acceptedForTcp(map("groups", map("db", map("backends", List.of("a:1")))));
        assertEquals(List.of("db"), List.copyOf(lb.groups().keySet()));
    }

    @Test
    void refusesAHashKeyOtherThanTheClientAddress() {
        for (String key : List.of("path", "header:X-User-Id")) {
            InvalidConfigException e = refusedForTcpOnly(oneGroup("policy", "consistent_hash", "hash_key", key));
            assertEquals(TCP_PREFIX + ".hash_key", e.key());
            assertEquals("a tcp listener has no path or headers to hash on; only client_ip, got '" + key + "'",
                    e.reason());
        }
    }

    @Test
    void namesTheKeyInsideItsGroup() {
        InvalidConfigException e = refusedForTcpOnly(map(
                "groups", map("db", map("backends", List.of("a:1"), "policy", "consistent_hash", "hash_key", "path"))));
        assertEquals(TCP_PREFIX + ".groups.db.hash_key", e.key());
    }

    @Test
    void acceptsTheClientAddressAsHashKey() {
        LoadBalancer lb = acceptedForTcp(oneGroup("policy", "consistent_hash", "hash_key", "client_ip"));
        assertEquals(Policy.CONSISTENT_HASH, defaultGroup(lb).settings.policy());
        assertNotNull(defaultGroup(lb).settings.hashKey());
    }

    @Test
    void refusesAnHttpHealthCheck() {
        InvalidConfigException e = refusedForTcpOnly(oneGroup("health_check", map("type", "http", "path", "/health")));
        assertEquals(TCP_PREFIX + ".health_check.type", e.key());
        assertEquals("the backends of a tcp listener need not speak HTTP; use type: tcp", e.reason());
    }

    @Test
    void aHealthCheckWithoutTypeIsATcpCheckInATcpChain() {
        Map<String, Object> config = oneGroup("health_check", map("interval", "1s"));
        assertNull(defaultGroup(acceptedForTcp(config)).settings.check().http(), "tcp: connect and close");
        assertNotNull(defaultGroup(started(context(config, ChainKind.HTTP))).settings.check().http(),
                "an HTTP chain's default stays http");
    }

    @Test
    void refusesPassiveStatuses() {
        InvalidConfigException e = refusedForTcpOnly(oneGroup("passive", map("statuses", List.of(502, 503))));
        assertEquals(TCP_PREFIX + ".passive.statuses", e.key());
        assertTrue(e.reason().startsWith("a tcp listener sees no HTTP status"), e.reason());
    }

    @Test
    void acceptsWhatAConnectionCanUse() {
        LoadBalancer lb = acceptedForTcp(oneGroup(
                "backends", List.of("127.0.0.1:15432", map("address", "https://db.internal:5432", "weight", 2)),
                "policy", "least_conn", "max_retries", 1, "connect_timeout", "500ms",
                "passive", map("max_fails", 2, "cooldown", "5s"),
                "health_check", map("type", "tcp", "interval", "1s", "rise", 1, "fall", 2),
                "when_all_down", "fail_open"));
        Group g = defaultGroup(lb);
        assertTrue(g.peer(1).tls());
        assertEquals(2, g.settings.backends().get(1).weight());
        assertEquals(WhenAllDown.FAIL_OPEN, g.settings.whenAllDown());
    }
}
