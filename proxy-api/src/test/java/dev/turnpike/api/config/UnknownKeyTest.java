package dev.turnpike.api.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Issue 15: an unknown key is named first, with "did you mean" for a close known one. */
class UnknownKeyTest {

    private static final String AT = "plugins.chain[0].config";

    private static ConfigSection section(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return ConfigSection.of(AT, m);
    }

    /** What a plugin that requires {@code key} throws when it is absent, and what the runtime then reports. */
    private static InvalidConfigException reported(ConfigSection c, String key) {
        InvalidConfigException thrown = assertThrows(InvalidConfigException.class, () -> {
            if (!c.has(key)) {
                throw c.invalid(key, "required");
            }
        });
        return c.misspeltKeyBehind(thrown).orElse(thrown);
    }

    @Test
    void anUnreadKeyCloseToOneReadIsSuggested() {
        ConfigSection c = section("burst", 10, "refill_per_secnd", 5);
        c.integer("burst", 1);
        c.number("refill_per_second", 1);
        InvalidConfigException e = c.unknownKey().orElseThrow();
        assertEquals(AT + ".refill_per_secnd", e.key());
        assertEquals("unknown key refill_per_secnd (did you mean refill_per_second?)", e.reason());
        assertEquals(e.getMessage(), assertThrows(InvalidConfigException.class, c::refuseUnreadKeys).getMessage());
    }

    @Test
    void anUnreadKeyLikeNothingReadIsJustUnknown() {
        ConfigSection c = section("colour", "blue");
        c.string("name", "x");
        assertEquals("unknown key colour", c.unknownKey().orElseThrow().reason());
        assertEquals(Optional.empty(), section().unknownKey());
    }

    @Test
    void aMisspeltRequiredKeyIsReportedAsTheTypoNotAsMissing() {
        ConfigSection c = section("burst", 10, "refill_per_secnd", 5);
        c.integer("burst", 1);
        InvalidConfigException e = reported(c, "refill_per_second");
        assertEquals(AT + ".refill_per_secnd", e.key());
        assertTrue(e.reason().startsWith("unknown key refill_per_secnd (did you mean refill_per_second?)"), e.reason());
        assertTrue(e.reason().endsWith("as written, refill_per_second is missing (required)"), e.reason());
    }

    @Test
    void aTypoOfAnotherKeyAskedForWinsOverTheMissingKeyItCaused() {
        // "mdoe: sliding_window" leaves the default mode, which then needs burst.
        ConfigSection c = section("mdoe", "sliding_window", "max_requests", 5);
        c.oneOf("mode", "token_bucket", "token_bucket", "sliding_window");
        InvalidConfigException e = reported(c, "burst");
        assertEquals(AT + ".mdoe", e.key());
        assertTrue(e.reason().startsWith("unknown key mdoe (did you mean mode?)"), e.reason());
    }

    @Test
    void aMissingKeyWithNoTypoAroundStands() {
        ConfigSection c = section("burst", 10, "flavour", "x");
        c.integer("burst", 1);
        InvalidConfigException e = reported(c, "refill_per_second");
        assertEquals(AT + ".refill_per_second", e.key());
        assertEquals("required", e.reason());
    }

    @Test
    void anErrorAboutAPresentKeyStandsUnlessATypoOfAKeyAskedForIsAround() {
        ConfigSection c = section("burst", -1, "refill_per_secnd", 5);
        c.integer("burst", 1);
        InvalidConfigException bad = c.invalid("burst", "must be at least 1");
        assertEquals(Optional.empty(), c.misspeltKeyBehind(bad), "refill_per_second was never asked for");

        ConfigSection m = section("mdoe", "sliding_window", "max_requests", 5);
        m.oneOf("mode", "token_bucket", "token_bucket", "sliding_window");
        m.integer("max_requests", 1);
        InvalidConfigException e = m.misspeltKeyBehind(m.invalid("max_requests", "only with mode: sliding_window")).orElseThrow();
        assertEquals(AT + ".mdoe", e.key());
        assertEquals("unknown key mdoe (did you mean mode?); as written, max_requests is refused (only with mode: sliding_window)",
                e.reason());
    }

    @Test
    void aTypoInANestedSectionIsFoundThere() {
        ConfigSection c = section("forwarding", Map.of("x_forwarded_fro", "append"));
        ConfigSection f = c.section("forwarding");
        InvalidConfigException e = reported(f, "x_forwarded_for");
        assertEquals(AT + ".forwarding.x_forwarded_fro", e.key());
        assertTrue(e.reason().startsWith("unknown key x_forwarded_fro (did you mean x_forwarded_for?)"), e.reason());
        // ... and from the top section too, as the runtime asks.
        assertEquals(e.getMessage(), c.misspeltKeyBehind(f.invalid("x_forwarded_for", "required")).orElseThrow().getMessage());
    }

    @Test
    void typosAreSmallEditsAndShortKeysAllowOnlyOne() {
        assertTrue(KeyTypos.isTypo("refill_per_secnd", "refill_per_second"));
        assertTrue(KeyTypos.isTypo("max_reqeusts", "max_requests"), "a swap is one edit");
        assertTrue(KeyTypos.isTypo("Burst", "burst"), "case does not count");
        assertTrue(KeyTypos.isTypo("bursts", "burst"));
        assertFalse(KeyTypos.isTypo("brst_x", "burst"), "two edits on a short key");
        assertFalse(KeyTypos.isTypo("id", "ip"), "a two-letter key is never a typo of another");
        assertFalse(KeyTypos.isTypo("window", "mode"));
        assertEquals(Optional.of("refill_per_second"), KeyTypos.closest("refil_per_secnd", List.of("burst", "refill_per_second")));
    }
}
