package dev.turnpike.plugins.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testkit.phases.FakeSession;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a request is counted under: client address, header, address and path prefix. */
class KeysTest {

    /** Two requests per key, practically no refill. */
    private static Object[] two(Object... more) {
        Object[] base = {"burst", 2, "refill_per_second", 0.001};
        Object[] all = new Object[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    // ---- client address ----

    @Test
    void eachClientAddressHasItsOwnBucket() {
        RateLimit r = new Limiters().start(two());
        assertEquals(2, Hit.passes(r, FakeSession.from("198.51.100.1"), 5));
        assertEquals(2, Hit.passes(r, FakeSession.from("198.51.100.2"), 5));
        assertEquals("198.51.100.1", keyOf(r, FakeSession.from("198.51.100.1")));
    }

    @Test
    void ipv6ClientsAreCountedByTheirSlash64() {
        RateLimit r = new Limiters().start(two());
        assertEquals(2, Hit.passes(r, FakeSession.from("2001:db8::1"), 1) + Hit.passes(r, FakeSession.from("2001:db8::ffff"), 1));
        assertEquals(0, Hit.passes(r, FakeSession.from("2001:db8::abcd:1"), 3), "same /64: the bucket is spent");
        assertEquals(2, Hit.passes(r, FakeSession.from("2001:db8:0:1::1"), 3), "another /64");
        assertEquals("2001:db8:0:0:0:0:0:0/64", keyOf(r, FakeSession.from("2001:db8::77")));
    }

    @Test
    void ipv6PrefixIsConfigurable() {
        RateLimit r = new Limiters().start(two("ipv6_prefix", 128));
        assertEquals(2, Hit.passes(r, FakeSession.from("2001:db8::1"), 3));
        assertEquals(2, Hit.passes(r, FakeSession.from("2001:db8::2"), 3));
    }

    @Test
    void anIpv4MappedAddressIsItsIpv4Address() {
        RateLimit r = new Limiters().start(two());
        assertEquals(2, Hit.passes(r, FakeSession.from("::ffff:192.0.2.1"), 3));
        assertEquals(0, Hit.passes(r, FakeSession.from("192.0.2.1"), 3));
    }

    // ---- trusted proxies ----

    @Test
    void behindATrustedProxyTheRightMostUntrustedForwardedAddressIsTheClient() {
        RateLimit r = new Limiters().start(two("trusted_proxies", List.of("10.0.0.0/8")));
        FakeSession a = FakeSession.from("10.1.1.1").header("X-Forwarded-For", "198.51.100.1");
        FakeSession b = FakeSession.from("10.1.1.1").header("X-Forwarded-For", "198.51.100.2");
        assertEquals(2, Hit.passes(r, a, 3));
        assertEquals(2, Hit.passes(r, b, 3), "another client behind the same proxy");
        // A client that writes its own X-Forwarded-For gets it prepended to by the proxy: the
        // made-up entry on the left is never believed.
        FakeSession spoofing = FakeSession.from("10.1.1.1").header("X-Forwarded-For", "6.6.6.6, 198.51.100.1");
        assertEquals(0, Hit.passes(r, spoofing, 3));
        assertEquals("198.51.100.1", keyOf(r, spoofing));
        // Chains of trusted proxies are walked through.
        FakeSession twoHops = FakeSession.from("10.1.1.1").header("X-Forwarded-For", "198.51.100.3, 10.2.2.2");
        assertEquals("198.51.100.3", keyOf(r, twoHops));
    }

    @Test
    void fromAnUntrustedPeerForwardedForIsIgnored() {
        RateLimit r = new Limiters().start(two("trusted_proxies", List.of("10.0.0.0/8")));
        assertEquals(2, Hit.passes(r, FakeSession.from("203.0.113.9").header("X-Forwarded-For", "198.51.100.1"), 3));
        assertEquals(0, Hit.passes(r, FakeSession.from("203.0.113.9").header("X-Forwarded-For", "198.51.100.2"), 3),
                "a spoofed header does not buy a new bucket");
        assertEquals(0, Hit.passes(r, FakeSession.from("203.0.113.9"), 3));
    }

    @Test
    void withoutTrustedProxiesForwardedForIsIgnored() {
        RateLimit r = new Limiters().start(two());
        assertEquals(2, Hit.passes(r, FakeSession.from("10.1.1.1").header("X-Forwarded-For", "198.51.100.1"), 3));
        assertEquals(0, Hit.passes(r, FakeSession.from("10.1.1.1").header("X-Forwarded-For", "198.51.100.2"), 3));
    }

    // ---- header ----

    @Test
    void aHeaderKeysRequestsWhateverTheirAddress() {
        RateLimit r = new Limiters().start(two("key", "header", "header", "appid"));
        assertEquals(2, Hit.passes(r, FakeSession.from("198.51.100.1").header("appid", "alpha"), 3));
        assertEquals(0, Hit.passes(r, FakeSession.from("198.51.100.2").header("AppId", "alpha"), 3),
                "same appid from elsewhere (header names are case-insensitive)");
        assertEquals(2, Hit.passes(r, FakeSession.from("198.51.100.1").header("appid", "beta"), 3));
        assertEquals("appid:beta", keyOf(r, FakeSession.from("198.51.100.1").header("appid", " beta ")));
    }

    @Test
    void missingKeyAllowLetsRequestsWithoutTheHeaderThrough() {
        RateLimit r = new Limiters().start(two("key", "header", "header", "appid", "missing_key", "allow", "headers", true));
        assertEquals(100, Hit.passes(r, FakeSession.from("198.51.100.1"), 100));
        Hit h = Hit.of(r, FakeSession.from("198.51.100.1").header("appid", "  "));
        assertTrue(h.allowed(), "a blank value is no value");
        assertFalse(h.context().applied(), "not counted, so no RateLimit headers either");
        assertEquals(0, r.table().size());
    }

    @Test
    void missingKeySharedPutsEveryRequestWithoutTheHeaderInOneBucket() {
        RateLimit r = new Limiters().start(two("key", "header", "header", "appid", "missing_key", "shared"));
        assertEquals(1, Hit.passes(r, FakeSession.from("198.51.100.1"), 1));
        assertEquals(1, Hit.passes(r, FakeSession.from("198.51.100.2").header("appid", ""), 3));
        assertEquals(0, Hit.passes(r, FakeSession.from("198.51.100.3"), 3));
        assertEquals(2, Hit.passes(r, FakeSession.from("198.51.100.3").header("appid", "alpha"), 3),
                "requests with the header are unaffected");
        assertEquals("(no appid)", keyOf(r, FakeSession.from("198.51.100.4")));
    }

    @Test
    void missingKeyIpCountsRequestsWithoutTheHeaderByAddressAndIsTheDefault() {
        RateLimit r = new Limiters().start(two("key", "header", "header", "appid"));
        assertEquals(2, Hit.passes(r, FakeSession.from("198.51.100.1"), 3));
        assertEquals(2, Hit.passes(r, FakeSession.from("198.51.100.2"), 3));
        assertEquals(2, Hit.passes(r, FakeSession.from("198.51.100.1").header("appid", "198.51.100.1"), 3),
                "an appid that looks like an address is not that address's key");
    }

    @Test
    void aLongHeaderValueIsHashedSoKeysStaySmall() {
        RateLimit r = new Limiters().start(two("key", "header", "header", "appid"));
        String base = "x".repeat(500);
        FakeSession a = FakeSession.from("198.51.100.1").header("appid", base + "a");
        FakeSession b = FakeSession.from("198.51.100.1").header("appid", base + "b");
        assertEquals(2, Hit.passes(r, a, 3));
        assertEquals(2, Hit.passes(r, b, 3), "values that differ only past the cut are different keys");
        String key = keyOf(r, a);
        assertTrue(key.startsWith("appid:sha256:") && key.length() < 60, key);
        assertEquals("appid:" + "y".repeat(128), keyOf(r, FakeSession.from("198.51.100.1").header("appid", "y".repeat(128))));
    }

    // ---- address and path prefix ----

    @Test
    void addressAndPathPrefixMakeTheKey() {
        RateLimit r = new Limiters().start(two("key", "ip_path", "path_prefixes", List.of("/api", "/login/")));
        FakeSession api1 = FakeSession.from("198.51.100.1").uri("/api/users?page=2");
        assertEquals(2, Hit.passes(r, api1, 3));
        assertEquals(0, Hit.passes(r, FakeSession.from("198.51.100.1").uri("/api"), 3), "same prefix, same address");
        assertEquals(2, Hit.passes(r, FakeSession.from("198.51.100.1").uri("/login/form"), 3), "another prefix");
        assertEquals(2, Hit.passes(r, FakeSession.from("198.51.100.2").uri("/api/x"), 3), "another address");
        assertEquals(50, Hit.passes(r, FakeSession.from("198.51.100.1").uri("/static/app.js"), 50), "under no prefix");
        assertEquals(50, Hit.passes(r, FakeSession.from("198.51.100.1").uri("/apix"), 50), "/api matches whole segments");
        assertEquals(50, Hit.passes(r, FakeSession.from("198.51.100.1").uri("/login"), 50), "/login/ asks for the slash");
        assertEquals("198.51.100.1 /api", keyOf(r, api1));
    }

    @Test
    void anotherSpellingOfThePathDoesNotEscapeItsPrefix() {
        RateLimit r = new Limiters().start(two("key", "ip_path", "path_prefixes", List.of("/api")));
        assertEquals(2, Hit.passes(r, FakeSession.from("198.51.100.1").uri("/api/a"), 3));
        for (String sneaky : List.of("/%61pi/a", "//api/a", "/static/../api/a", "/./api/a", "/api//a", "/%2e/api")) {
            FakeSession s = FakeSession.from("198.51.100.1").uri(sneaky);
            assertEquals("198.51.100.1 /api", keyOf(r, s), sneaky);
            assertFalse(Hit.of(r, s).allowed(), sneaky);
        }
    }

    /** The key a request is counted under (resolved as the plugin does, without counting it). */
    private static String keyOf(RateLimit r, FakeSession s) {
        KeyResolver resolver = new KeyResolver(r.settings());
        return resolver.keyFor(s);
    }

    @Test
    void aRequestWithoutAnAddressIsCountedUnderOneKey() {
        RateLimit r = new Limiters().start(two());
        FakeSession nowhere = FakeSession.get("/").clientAddress(null);
        assertNull(nowhere.clientAddress());
        assertEquals("(unknown client)", keyOf(r, nowhere));
    }
}
