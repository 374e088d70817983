package dev.turnpike.plugins.headerinjection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.testkit.phases.FakePluginContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What start() accepts and refuses, and the key path and reason of each refusal. */
class ConfigValidationTest {

    static final String PREFIX = "plugins.chain[1].config";

    /** The context the runtime gives this plugin at the second entry of the chain. */
    static FakePluginContext context(Map<String, Object> values) {
        return new FakePluginContext(values).pluginId("header-injection").path(PREFIX);
    }

    /** Started with its start() called directly: a test can see what the plugin left unread. */
    static HeaderInjection started(Map<String, Object> values) {
        HeaderInjection plugin = new HeaderInjection();
        plugin.start(context(values));
        return plugin;
    }

    /** {@code {side: {kind: content}}}. */
    private static Map<String, Object> edit(String side, String kind, Object content) {
        return Map.of(side, Map.of(kind, content));
    }

    private static Map<String, Object> set(String side, String name, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(name, value);
        return edit(side, "set", m);
    }

    private static InvalidConfigException refused(Map<String, Object> values) {
        return assertThrows(InvalidConfigException.class, () -> started(values));
    }

    @Test
    void defaultsWhenNothingIsConfigured() {
        Settings s = started(Map.of()).settings();
        assertTrue(s.xForwardedFor && s.xRealIp && s.xForwardedProto && s.xForwardedHost && s.via);
        assertFalse(s.forwarded);
        assertTrue(s.trusted.isEmpty());
        assertTrue(s.request.isEmpty());
        assertSame(HeaderEdits.NONE, s.response);
        assertFalse(s.needsContext);
    }

    @Test
    void readsEveryKeyOfAFullConfig() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("trusted_proxies", List.of("10.0.0.0/8", "fd00::/8", "192.0.2.1"));
        values.put("forwarding", Map.of("x_forwarded_for", false, "x_real_ip", false, "x_forwarded_proto", false,
                "x_forwarded_host", false, "via", false, "forwarded", true));
        values.put("request", Map.of("set", Map.of("X-Proxy", "turnpike"), "add", Map.of("X-Tag", List.of("a", "b")),
                "remove", List.of("X-Debug")));
        values.put("response", Map.of("set", Map.of("X-Backend", "$backend"), "add", Map.of("X-Served-By", "turnpike"),
                "remove", List.of("Server")));
        FakePluginContext context = context(values);
        HeaderInjection plugin = new HeaderInjection();
        plugin.start(context);
        ConfigSection config = context.config();

        Settings s = plugin.settings();
        assertFalse(s.xForwardedFor || s.xRealIp || s.xForwardedProto || s.xForwardedHost || s.via);
        assertTrue(s.forwarded);
        assertFalse(s.trusted.isEmpty());
        assertEquals(List.of(), config.unreadKeys(), "the runtime's unknown-key check must not trip");
    }

    @Test
    void aMisspeltForwardingKeyIsLeftUnreadForTheRuntimeToRefuse() {
        FakePluginContext context = context(Map.of("forwarding", Map.of("x_forwarded_fro", true)));
        new HeaderInjection().start(context);
        assertEquals(List.of(PREFIX + ".forwarding.x_forwarded_fro"), context.config().unreadKeys());
    }

    @Test
    void refusesAnInvalidHeaderNameWithItsFullKeyPath() {
        InvalidConfigException e = refused(set("request", "X Bad", "v"));
        assertEquals(PREFIX + ".request.set.X Bad", e.key());
        assertTrue(e.reason().contains("not a valid header name"), e.reason());
        assertTrue(e.reason().contains("a space"), e.reason());
    }

    @Test
    void refusesNamesWithSeparatorsOrNonAscii() {
        for (String name : List.of("X:Colon", "X(paren)", "X\"q\"", "Ünïcode", "X/Slash", "X@At", "")) {
            InvalidConfigException e = refused(set("response", name, "v"));
            assertEquals(PREFIX + ".response.set." + name, e.key(), name);
        }
    }

    @Test
    void acceptsEveryTokenCharacter() {
        started(set("request", "!#$%&'*+-.^_`|~09azAZ", "v"));
    }

    @Test
    void refusesAValueWithCrLf() {
        InvalidConfigException e = refused(set("request", "X-Evil", "a\r\nInjected: 1"));
        assertEquals(PREFIX + ".request.set.X-Evil", e.key());
        assertTrue(e.reason().contains("CR"), e.reason());
        assertTrue(e.reason().contains("split"), e.reason());
    }

    @Test
    void refusesALoneLfOrCrOrNul() {
        assertTrue(refused(set("response", "X-A", "a\nb")).reason().contains("LF"));
        assertTrue(refused(set("response", "X-A", "a\rb")).reason().contains("CR"));
        assertTrue(refused(set("response", "X-A", "a\0b")).reason().contains("NUL"));
    }

    @Test
    void refusesOtherControlCharactersButAllowsTab() {
        InvalidConfigException e = refused(set("request", "X-A", "a\u0007b"));
        assertTrue(e.reason().contains("U+0007"), e.reason());
        assertTrue(refused(set("request", "X-A", "a\u007fb")).reason().contains("U+007F"));
        started(set("request", "X-A", "a\tb"));
    }

    @Test
    void refusesCharactersOutsideIso88591ButAllowsLatin1() {
        assertTrue(refused(set("request", "X-A", "5 €")).reason().contains("ISO-8859-1"));
        started(set("request", "X-A", "café"));
    }

    @Test
    void refusesAnUnknownVariableWithItsFullKeyPath() {
        InvalidConfigException e = refused(set("response", "X-Backend", "$upstream"));
        assertEquals(PREFIX + ".response.set.X-Backend", e.key());
        assertTrue(e.reason().contains("unknown variable $upstream"), e.reason());
    }

    @Test
    void namesTheIndexOfABadValueInAnAddList() {
        InvalidConfigException e = refused(edit("request", "add", Map.of("X-Tag", List.of("ok", "bad\nvalue"))));
        assertEquals(PREFIX + ".request.add.X-Tag[1]", e.key());
    }

    @Test
    void namesTheIndexOfABadNameInARemoveList() {
        InvalidConfigException e = refused(edit("response", "remove", List.of("Server", "Bad Name")));
        assertEquals(PREFIX + ".response.remove[1]", e.key());
    }

    @Test
    void refusesHeadersTheRuntimeOwns() {
        for (String name : List.of("Connection", "transfer-encoding", "Content-Length", "Upgrade", "TE", "Keep-Alive",
                "Trailer", "Proxy-Connection")) {
            InvalidConfigException e = refused(set("request", name, "x"));
            assertEquals(PREFIX + ".request.set." + name, e.key());
            assertTrue(e.reason().contains("hop-by-hop or message framing"), e.reason());
        }
        assertEquals(PREFIX + ".response.remove[0]", refused(edit("response", "remove", List.of("Content-Length"))).key());
    }

    @Test
    void refusesTheSameNameTwiceInOneMappingIgnoringCase() {
        Map<String, Object> names = new LinkedHashMap<>();
        names.put("X-Proxy", "a");
        names.put("x-proxy", "b");
        InvalidConfigException e = refused(edit("request", "set", names));
        assertEquals(PREFIX + ".request.set.x-proxy", e.key());
        assertTrue(e.reason().contains("X-Proxy"), e.reason());
    }

    @Test
    void refusesAMissingValue() {
        Map<String, Object> names = new LinkedHashMap<>();
        names.put("X-Empty", null);
        InvalidConfigException e = refused(edit("request", "set", names));
        assertEquals(PREFIX + ".request.set.X-Empty", e.key());
        assertTrue(e.reason().contains("got nothing"), e.reason());
    }

    @Test
    void refusesAListUnderSet() {
        InvalidConfigException e = refused(set("request", "X-Tag", List.of("a", "b")));
        assertEquals(PREFIX + ".request.set.X-Tag", e.key());
        assertTrue(e.reason().contains("add"), e.reason());
    }

    @Test
    void refusesAnEmptyAddList() {
        assertEquals(PREFIX + ".request.add.X-Tag", refused(edit("request", "add", Map.of("X-Tag", List.of()))).key());
    }

    @Test
    void refusesAMappingAsAValue() {
        assertEquals(PREFIX + ".request.set.X-A", refused(set("request", "X-A", Map.of("b", "c"))).key());
    }

    @Test
    void acceptsNumbersAndBooleansAsText() {
        started(set("request", "X-Version", 2));
        started(set("request", "X-Flag", true));
    }

    @Test
    void refusesABadTrustedProxyNamingItsIndex() {
        InvalidConfigException e = refused(Map.of("trusted_proxies", List.of("10.0.0.0/8", "not-a-network")));
        assertEquals(PREFIX + ".trusted_proxies[1]", e.key());
        assertTrue(e.reason().contains("not-a-network"), e.reason());
        assertEquals(PREFIX + ".trusted_proxies[0]", refused(Map.of("trusted_proxies", List.of("10.0.0.0/33"))).key());
    }

    @Test
    void refusesAForwardingSwitchThatIsNotABoolean() {
        InvalidConfigException e = refused(Map.of("forwarding", Map.of("via", "yes please")));
        assertEquals(PREFIX + ".forwarding.via", e.key());
    }

    @Test
    void refusesSectionsOfTheWrongShape() {
        assertEquals(PREFIX + ".request", refused(Map.of("request", List.of("X-A"))).key());
        assertEquals(PREFIX + ".request.set", refused(Map.of("request", Map.of("set", List.of("X-A")))).key());
        assertEquals(PREFIX + ".response.remove", refused(Map.of("response", Map.of("remove", "Server"))).key());
        assertEquals(PREFIX + ".trusted_proxies", refused(Map.of("trusted_proxies", "10.0.0.0/8")).key());
    }

    @Test
    void aContextIsKeptOnlyWhenTheResponseNeedsRequestValues() {
        assertFalse(started(set("response", "X-Backend", "$backend $request_id $scheme")).settings().needsContext);
        assertTrue(started(set("response", "X-Client", "$client_ip")).settings().needsContext);
        assertTrue(started(set("response", "X-Host", "${host}")).settings().needsContext);
    }
}
