package dev.turnpike.plugins.loadbalancer;

import static dev.turnpike.plugins.loadbalancer.LbTestSupport.PREFIX;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.context;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.defaultGroup;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.map;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.started;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.plugins.loadbalancer.health.HealthCheckSettings;
import dev.turnpike.plugins.loadbalancer.health.PassiveSettings;
import dev.turnpike.testkit.phases.FakePluginContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the balancer's configuration accepts, and which key it names when it refuses. */
class GroupConfigTest {

    /** Starts with {@code config}, and checks that every key of it was read. */
    private static LoadBalancer accepted(Map<String, Object> config) {
        FakePluginContext ctx = context(config);
        LoadBalancer lb = started(ctx);
        assertEquals(List.of(), ctx.config().unreadKeys(), "every key of an accepted config is read");
        return lb;
    }

    private static InvalidConfigException refused(Map<String, Object> config) {
        return assertThrows(InvalidConfigException.class, () -> started(config));
    }

    /** A one-group config: backends a:1 and b:2 plus the given keys. */
    private static Map<String, Object> oneGroup(Object... keysAndValues) {
        Map<String, Object> m = map(keysAndValues);
        m.putIfAbsent("backends", List.of("a:1", "b:2"));
        return m;
    }

    private static GroupSettings settings(LoadBalancer lb) {
        return defaultGroup(lb).settings;
    }

    private static HealthCheckSettings check(Map<String, Object> healthCheck) {
        return settings(accepted(oneGroup("health_check", healthCheck))).check();
    }

    // ------------------------------------------------------------------ groups and routes

    @Test
    void groupsFormBuildsEveryGroupInOrder() {
        LoadBalancer lb = accepted(map(
                "groups", map(
                        "api", map("backends", List.of("a:1", "b:2"), "policy", "least_conn", "max_retries", 1,
                                "connect_timeout", "300ms"),
                        "web", map("backends", List.of(map("address", "c:3", "weight", 3), "d:4"))),
                "routes", List.of(
                        map("host", "api.example.com", "group", "api"),
                        map("host", "*.example.org", "path_prefix", "/v1", "group", "api")),
                "default_group", "web"));
        assertEquals(List.of("api", "web"), List.copyOf(lb.groups().keySet()));
        Group api = lb.groups().get("api");
        Group web = lb.groups().get("web");
        assertEquals("api", api.name());
        assertEquals(Policy.LEAST_CONN, api.settings.policy());
        assertEquals(1, api.settings.maxRetries());
        assertEquals(Duration.ofMillis(300), api.peer(1).connectTimeout());
        assertNull(web.peer(0).connectTimeout(), "a group's timeouts are its own");
        assertEquals(Policy.ROUND_ROBIN, web.settings.policy());
        assertEquals(3, web.settings.backends().get(0).weight());
        assertEquals(1, web.settings.backends().get(1).weight());
        assertEquals(2, web.settings.maxRetries(), "max_retries defaults to 2");
    }

    @Test
    void refusesARouteToAnUnknownGroup() {
        InvalidConfigException e = refused(map(
                "groups", map("api", map("backends", List.of("a:1"))),
                "routes", List.of(map("path_prefix", "/api", "group", "api"), map("host", "x.example", "group", "apj"))));
        assertEquals(PREFIX + ".routes[1].group", e.key());
        assertTrue(e.reason().contains("apj"), e.reason());
    }

    @Test
    void refusesAnUnknownDefaultGroup() {
        InvalidConfigException e = refused(map(
                "groups", map("api", map("backends", List.of("a:1"))),
                "default_group", "web"));
        assertEquals(PREFIX + ".default_group", e.key());
    }

    @Test
    void refusesGroupsMixedWithTopLevelBackends() {
        InvalidConfigException e = refused(map(
                "backends", List.of("a:1"),
                "groups", map("api", map("backends", List.of("b:2")))));
        assertEquals(PREFIX + ".backends", e.key());
    }

    @Test
    void refusesGroupsMixedWithTopLevelGroupSettings() {
        InvalidConfigException e = refused(map(
                "groups", map("api", map("backends", List.of("b:2"))),
                "policy", "least_conn"));
        assertEquals(PREFIX + ".policy", e.key());
    }

    @Test
    void refusesRoutesWithoutGroups() {
        InvalidConfigException e = refused(oneGroup("routes", List.of(map("path_prefix", "/a", "group", "default"))));
        assertEquals(PREFIX + ".routes", e.key());
    }

    @Test
    void refusesDefaultGroupWithoutGroups() {
        InvalidConfigException e = refused(oneGroup("default_group", "default"));
        assertEquals(PREFIX + ".default_group", e.key());
    }

    @Test
    void refusesEmptyGroups() {
        InvalidConfigException e = refused(map("groups", map()));
        assertEquals(PREFIX + ".groups", e.key());
    }

    @Test
    void refusesAGroupThatIsNotAMapping() {
        InvalidConfigException e = refused(map("groups", map("api", List.of("a:1"))));
        assertEquals(PREFIX + ".groups.api", e.key());
    }

    @Test
    void namesTheGroupOfABadBackend() {
        InvalidConfigException e = refused(map("groups", map(
                "api", map("backends", List.of("a:1")),
                "web", map("backends", List.of("b:2", "nope")))));
        assertEquals(PREFIX + ".groups.web.backends[1]", e.key());
    }

    @Test
    void refusesARouteWithNeitherHostNorPath() {
        InvalidConfigException e = refused(map(
                "groups", map("api", map("backends", List.of("a:1"))),
                "routes", List.of(map("group", "api"))));
        assertEquals(PREFIX + ".routes[0].group", e.key());
    }

    @Test
    void refusesAPathPrefixWithoutLeadingSlash() {
        InvalidConfigException e = refused(map(
                "groups", map("api", map("backends", List.of("a:1"))),
                "routes", List.of(map("path_prefix", "api", "group", "api"))));
        assertEquals(PREFIX + ".routes[0].path_prefix", e.key());
    }

    @Test
    void refusesARouteHostWithAPort() {
        InvalidConfigException e = refused(map(
                "groups", map("api", map("backends", List.of("a:1"))),
                "routes", List.of(map("host", "api.example.com:8080", "group", "api"))));
        assertEquals(PREFIX + ".routes[0].host", e.key());
    }

    @Test
    void leavesAnUnknownRouteKeyUnread() {
        // The runtime refuses unread keys; a misspelt route key must not be silently ignored.
        FakePluginContext ctx = context(map(
                "groups", map("api", map("backends", List.of("a:1"))),
                "routes", List.of(map("path_prefx", "/api", "host", "a.example", "group", "api"))));
        started(ctx);
        assertEquals(List.of(PREFIX + ".routes[0].path_prefx"), ctx.config().unreadKeys());
    }

    @Test
    void leavesAnUnknownGroupKeyUnread() {
        FakePluginContext ctx = context(map("groups", map("api", map("backends", List.of("a:1"), "polcy", "x"))));
        started(ctx);
        assertEquals(List.of(PREFIX + ".groups.api.polcy"), ctx.config().unreadKeys());
    }

    // ------------------------------------------------------------------ weights

    @Test
    void acceptsTheWeightForm() {
        LoadBalancer lb = accepted(map("backends", List.of(map("address", "a:1", "weight", 3), "b:2",
                map("address", "c:3"))));
        List<GroupSettings.Backend> b = settings(lb).backends();
        assertEquals(3, b.get(0).weight());
        assertEquals(1, b.get(1).weight());
        assertEquals(1, b.get(2).weight(), "weight defaults to 1");
        assertEquals("c:3", b.get(2).peer().address());
    }

    @Test
    void acceptsTheWeightBounds() {
        LoadBalancer lb = accepted(map("backends", List.of(map("address", "a:1", "weight", 1),
                map("address", "b:2", "weight", 1000))));
        assertEquals(1000, settings(lb).backends().get(1).weight());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "1001", "text", "2.5", "list"})
    void refusesABadWeight(String kind) {
        Object weight = switch (kind) {
            case "text" -> "3";
            case "2.5" -> 2.5;
            case "list" -> List.of(3);
            default -> Integer.parseInt(kind);
        };
        InvalidConfigException e = refused(map("backends", List.of("a:1", map("address", "b:2", "weight", weight))));
        assertEquals(PREFIX + ".backends[1].weight", e.key());
    }

    @Test
    void refusesAWeightedBackendWithoutAddress() {
        InvalidConfigException e = refused(map("backends", List.of(map("weight", 2))));
        assertEquals(PREFIX + ".backends[0].address", e.key());
    }

    @Test
    void refusesAnUnknownKeyInABackend() {
        InvalidConfigException e = refused(map("backends", List.of(map("address", "a:1", "wieght", 2))));
        assertEquals(PREFIX + ".backends[0].wieght", e.key());
    }

    @Test
    void refusesABadAddressInTheWeightForm() {
        InvalidConfigException e = refused(map("backends", List.of("a:1", map("address", "b", "weight", 2))));
        assertEquals(PREFIX + ".backends[1]", e.key());
    }

    @Test
    void refusesABackendThatIsAList() {
        InvalidConfigException e = refused(map("backends", List.of(List.of("a:1"))));
        assertEquals(PREFIX + ".backends[0]", e.key());
    }

    // ------------------------------------------------------------------ policies and hash keys

    @Test
    void acceptsEveryPolicyName() {
        assertEquals(Policy.ROUND_ROBIN, settings(accepted(oneGroup("policy", "round_robin"))).policy());
        assertEquals(Policy.LEAST_CONN, settings(accepted(oneGroup("policy", "least_conn"))).policy());
        assertEquals(Policy.CONSISTENT_HASH, settings(accepted(oneGroup("policy", "consistent_hash"))).policy());
        assertEquals(Policy.ROUND_ROBIN, settings(accepted(oneGroup())).policy(), "round_robin is the default");
    }

    @ParameterizedTest
    @ValueSource(strings = {"random", "Round_Robin", "least-conn", ""})
    void refusesAnUnknownPolicy(String policy) {
        InvalidConfigException e = refused(oneGroup("policy", policy));
        assertEquals(PREFIX + ".policy", e.key());
    }

    @Test
    void acceptsHashKeysWithConsistentHash() {
        assertNotNull(settings(accepted(oneGroup("policy", "consistent_hash"))).hashKey(), "client_ip by default");
        for (String key : List.of("client_ip", "path", "header:X-User", "header: X-Tenant")) {
            assertNotNull(settings(accepted(oneGroup("policy", "consistent_hash", "hash_key", key))).hashKey(), key);
        }
    }

    @Test
    void refusesAHashKeyWithoutConsistentHash() {
        InvalidConfigException e = refused(oneGroup("policy", "least_conn", "hash_key", "path"));
        assertEquals(PREFIX + ".hash_key", e.key());
        e = refused(oneGroup("hash_key", "client_ip"));
        assertEquals(PREFIX + ".hash_key", e.key(), "round_robin (the default) takes no hash_key either");
    }

    @ParameterizedTest
    @ValueSource(strings = {"header:", "header:X User", "cookie:session", "ip", "header:a/b"})
    void refusesABadHashKey(String key) {
        InvalidConfigException e = refused(oneGroup("policy", "consistent_hash", "hash_key", key));
        assertEquals(PREFIX + ".hash_key", e.key());
    }

    // ------------------------------------------------------------------ other group keys

    @Test
    void readsWhenAllDownAndMaxRetries() {
        GroupSettings s = settings(accepted(oneGroup("when_all_down", "fail_open", "max_retries", 0)));
        assertEquals(WhenAllDown.FAIL_OPEN, s.whenAllDown());
        assertEquals(0, s.maxRetries());
        s = settings(accepted(oneGroup("when_all_down", "unavailable", "max_retries", 9)));
        assertEquals(WhenAllDown.UNAVAILABLE, s.whenAllDown());
        assertEquals(9, s.maxRetries());
        assertEquals(WhenAllDown.PANIC, settings(accepted(oneGroup())).whenAllDown(),
                "left out, with panic on: a group with none healthy is in panic");
        assertEquals(WhenAllDown.UNAVAILABLE, settings(accepted(oneGroup("panic_threshold", "0%"))).whenAllDown(),
                "left out, with panic off: 503");
        assertEquals(WhenAllDown.FAIL_OPEN,
                settings(accepted(oneGroup("panic_threshold", "0%", "when_all_down", "fail_open"))).whenAllDown());
    }

    @Test
    void refusesPanicAsAWrittenWhenAllDown() {
        InvalidConfigException e = refused(oneGroup("when_all_down", "panic"));
        assertEquals(PREFIX + ".when_all_down", e.key());
        assertTrue(e.getMessage().contains("unavailable, fail_open"), e.getMessage());
    }

    // ------------------------------------------------------------------ panic_threshold

    @Test
    void panicThresholdDefaultsToHalf() {
        assertEquals(new PanicThreshold(5000), settings(accepted(oneGroup())).panicThreshold());
        assertEquals("50%", PanicThreshold.DEFAULT.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0%", "1%", "50%", "100%", "12.5%", "33.33%", " 70 %"})
    void readsAPanicThreshold(String text) {
        PanicThreshold t = settings(accepted(oneGroup("panic_threshold", text))).panicThreshold();
        String expected = text.replace(" ", "");
        assertEquals(expected, t.toString());
    }

    @Test
    void groupsHaveTheirOwnPanicThreshold() {
        LoadBalancer lb = accepted(map("groups", map(
                "api", map("backends", List.of("a:1"), "panic_threshold", "25%"),
                "web", map("backends", List.of("b:2"))),
                "default_group", "web"));
        assertEquals(new PanicThreshold(2500), lb.groups().get("api").settings.panicThreshold());
        assertEquals(PanicThreshold.DEFAULT, lb.groups().get("web").settings.panicThreshold());
    }

    @ParameterizedTest
    @ValueSource(strings = {"50", "0.5", "101%", "150%", "-5%", "50%%", "half", "12.345%", "", "1000%"})
    void refusesABadPanicThresholdNamingTheKey(String text) {
        InvalidConfigException e = refused(oneGroup("panic_threshold", text));
        assertEquals(PREFIX + ".panic_threshold", e.key());
        assertTrue(e.getMessage().contains("%"), e.getMessage());
    }

    @Test
    void refusesANumberAsPanicThresholdAndSaysWhichFormIsMeant() {
        InvalidConfigException e = refused(oneGroup("panic_threshold", 50));
        assertEquals(PREFIX + ".panic_threshold", e.key());
        assertTrue(e.getMessage().contains("expected a percentage such as 50%"), e.getMessage());
        e = refused(map("groups", map("api", map("backends", List.of("a:1"), "panic_threshold", 0.5)),
                "default_group", "api"));
        assertEquals(PREFIX + ".groups.api.panic_threshold", e.key());
    }

    @Test
    void panicThresholdGoesInsideAGroupWhenGroupsAreUsed() {
        InvalidConfigException e = refused(map("groups", map("api", map("backends", List.of("a:1"))),
                "panic_threshold", "10%"));
        assertEquals(PREFIX + ".panic_threshold", e.key());
    }

    @Test
    void refusesABadWhenAllDown() {
        assertEquals(PREFIX + ".when_all_down", refused(oneGroup("when_all_down", "open")).key());
    }

    @Test
    void refusesMaxRetriesOutOfRange() {
        assertEquals(PREFIX + ".max_retries", refused(oneGroup("max_retries", 10)).key());
        assertEquals(PREFIX + ".max_retries", refused(oneGroup("max_retries", -1)).key());
    }

    // ------------------------------------------------------------------ health_check

    @Test
    void noHealthCheckByDefault() {
        assertNull(settings(accepted(oneGroup())).check());
    }

    @Test
    void healthCheckDefaults() {
        HealthCheckSettings c = check(map());
        assertNotNull(c.http(), "http is the default type");
        assertEquals("GET", c.http().method());
        assertEquals("/", c.http().path());
        assertNull(c.http().host());
        assertEquals(Duration.ofSeconds(2), c.interval());
        assertEquals(Duration.ofSeconds(1), c.timeout());
        assertEquals(Duration.ofSeconds(1), c.http().timeout());
        assertEquals(2, c.rise());
        assertEquals(3, c.fall());
        assertTrue(c.initialUp());
        assertTrue(c.accepts(200));
        assertTrue(c.accepts(399));
        assertFalse(c.accepts(400));
        assertFalse(c.accepts(199));
    }

    @Test
    void readsEveryHealthCheckKey() {
        HealthCheckSettings c = check(map("type", "http", "method", "HEAD", "path", "/healthz", "host", "svc.local",
                "interval", "500ms", "timeout", "250ms", "rise", 4, "fall", 1, "initial", "down",
                "expect_status", 204));
        assertEquals("HEAD", c.http().method());
        assertEquals("/healthz", c.http().path());
        assertEquals("svc.local", c.http().host());
        assertEquals(Duration.ofMillis(250), c.http().timeout());
        assertEquals(Duration.ofMillis(500), c.interval());
        assertEquals(4, c.rise());
        assertEquals(1, c.fall());
        assertFalse(c.initialUp());
        assertTrue(c.accepts(204));
        assertFalse(c.accepts(200));
    }

    @Test
    void tcpCheckHasNoHttpProbe() {
        HealthCheckSettings c = check(map("type", "tcp", "timeout", "300ms"));
        assertNull(c.http());
        assertEquals(Duration.ofMillis(300), c.timeout());
    }

    @ParameterizedTest
    @ValueSource(strings = {"path", "method", "host", "expect_status"})
    void tcpCheckRefusesHttpKeys(String key) {
        Object value = key.equals("expect_status") ? "200" : key.equals("path") ? "/health" : "GET";
        InvalidConfigException e = refused(oneGroup("health_check", map("type", "tcp", key, value)));
        assertEquals(PREFIX + ".health_check." + key, e.key());
    }

    @Test
    void expectStatusRange() {
        HealthCheckSettings c = check(map("expect_status", "200-299"));
        assertTrue(c.accepts(200));
        assertTrue(c.accepts(299));
        assertFalse(c.accepts(300));
        assertFalse(c.accepts(199));
    }

    @Test
    void expectStatusClass() {
        HealthCheckSettings c = check(map("expect_status", "5xx"));
        assertTrue(c.accepts(500));
        assertTrue(c.accepts(599));
        assertFalse(c.accepts(499));
        assertFalse(c.accepts(200));
    }

    @Test
    void expectStatusList() {
        HealthCheckSettings c = check(map("expect_status", List.of(200, "204", "3xx", "401-403")));
        for (int ok : new int[] {200, 204, 300, 301, 399, 401, 403}) {
            assertTrue(c.accepts(ok), "accepts " + ok);
        }
        for (int bad : new int[] {201, 203, 400, 404, 500}) {
            assertFalse(c.accepts(bad), "refuses " + bad);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"600", "99", "399-200", "abc", "2xx-3xx", "200-", "6xx", "empty list"})
    void refusesABadExpectStatus(String text) {
        Object value = text.equals("empty list") ? List.of() : text;
        InvalidConfigException e = refused(oneGroup("health_check", map("expect_status", value)));
        assertEquals(PREFIX + ".health_check.expect_status", e.key());
    }

    @Test
    void refusesBadHealthCheckValues() {
        assertEquals(PREFIX + ".health_check.type", refused(oneGroup("health_check", map("type", "udp"))).key());
        assertEquals(PREFIX + ".health_check.interval", refused(oneGroup("health_check", map("interval", "0s"))).key());
        assertEquals(PREFIX + ".health_check.timeout", refused(oneGroup("health_check", map("timeout", "0ms"))).key());
        assertEquals(PREFIX + ".health_check.rise", refused(oneGroup("health_check", map("rise", 0))).key());
        assertEquals(PREFIX + ".health_check.fall", refused(oneGroup("health_check", map("fall", 101))).key());
        assertEquals(PREFIX + ".health_check.initial", refused(oneGroup("health_check", map("initial", "maybe"))).key());
        assertEquals(PREFIX + ".health_check.method", refused(oneGroup("health_check", map("method", "GE T"))).key());
        assertEquals(PREFIX + ".health_check.path", refused(oneGroup("health_check", map("path", "healthz"))).key());
        assertEquals(PREFIX + ".health_check.host", refused(oneGroup("health_check", map("host", "a b"))).key());
        assertEquals(PREFIX + ".health_check", refused(oneGroup("health_check", "tcp")).key());
    }

    @Test
    void leavesAnUnknownHealthCheckKeyUnread() {
        FakePluginContext ctx = context(oneGroup("health_check", map("type", "tcp", "intervall", "1s")));
        started(ctx);
        assertEquals(List.of(PREFIX + ".health_check.intervall"), ctx.config().unreadKeys());
    }

    // ------------------------------------------------------------------ passive

    @Test
    void passiveDefaults() {
        PassiveSettings p = settings(accepted(oneGroup())).passive();
        assertTrue(p.enabled());
        assertEquals(3, p.maxFails());
        assertEquals(Duration.ofSeconds(10), p.cooldown());
        for (int status : new int[] {200, 404, 500, 502, 503, 504, 505}) {
            assertFalse(p.failure(status), "no status counts unless statuses lists it: " + status);
        }
    }

    @Test
    void readsStatusesAsTheyWereCountedBefore() {
        PassiveSettings p = settings(accepted(oneGroup("passive", map("statuses", List.of(502, 503, 504))))).passive();
        assertTrue(p.failure(502));
        assertTrue(p.failure(503));
        assertTrue(p.failure(504));
        assertFalse(p.failure(500));
        assertFalse(p.failure(505));
        p = settings(accepted(oneGroup("passive", map("statuses", "502-504")))).passive();
        assertTrue(p.failure(503));
        assertFalse(p.failure(501));
        p = settings(accepted(oneGroup("passive", map("statuses", List.of())))).passive();
        assertFalse(p.failure(503), "an empty list: none, as by default");
    }

    @Test
    void readsEveryPassiveKey() {
        PassiveSettings p = settings(accepted(oneGroup("passive",
                map("max_fails", 5, "cooldown", "30s", "statuses", List.of("5xx", 429))))).passive();
        assertEquals(5, p.maxFails());
        assertEquals(Duration.ofSeconds(30), p.cooldown());
        assertTrue(p.failure(500));
        assertTrue(p.failure(429));
        assertFalse(p.failure(404));
    }

    @Test
    void maxFailsZeroTurnsPassiveOff() {
        assertFalse(settings(accepted(oneGroup("passive", map("max_fails", 0)))).passive().enabled());
    }

    @Test
    void refusesBadPassiveValues() {
        assertEquals(PREFIX + ".passive.max_fails", refused(oneGroup("passive", map("max_fails", -1))).key());
        assertEquals(PREFIX + ".passive.cooldown", refused(oneGroup("passive", map("cooldown", "0s"))).key());
        assertEquals(PREFIX + ".passive.cooldown", refused(oneGroup("passive", map("cooldown", "later"))).key());
        assertEquals(PREFIX + ".passive.statuses", refused(oneGroup("passive", map("statuses", "7xx"))).key());
        assertEquals(PREFIX + ".passive", refused(oneGroup("passive", 3)).key());
    }

    @Test
    void leavesAnUnknownPassiveKeyUnread() {
        FakePluginContext ctx = context(oneGroup("passive", map("max_fail", 2)));
        started(ctx);
        assertEquals(List.of(PREFIX + ".passive.max_fail"), ctx.config().unreadKeys());
    }

    @Test
    void everyKeyOfAFullGroupIsRead() {
        accepted(map("groups", map("api", map(
                "backends", List.of(map("address", "a:1", "weight", 2), "b:2"),
                "policy", "consistent_hash",
                "hash_key", "header:X-User",
                "health_check", map("type", "http", "method", "GET", "path", "/h", "host", "h.local", "interval", "1s",
                        "timeout", "500ms", "rise", 2, "fall", 3, "initial", "down", "expect_status", List.of("2xx")),
                "passive", map("max_fails", 2, "cooldown", "10s", "statuses", "502-504"),
                "panic_threshold", "30%",
                "when_all_down", "fail_open",
                "max_retries", 1,
                "connect_timeout", "1s",
                "read_timeout", "30s")),
                "routes", List.of(map("host", "*.example.com", "path_prefix", "/api", "group", "api")),
                "default_group", "api"));
    }
}
