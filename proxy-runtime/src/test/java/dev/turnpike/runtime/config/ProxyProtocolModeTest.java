package dev.turnpike.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProxyProtocolModeTest {

    @Test
    void parsesTheThreeSettings() {
        assertSame(ProxyProtocolMode.NONE, ProxyProtocolMode.parse("none"));
        assertSame(ProxyProtocolMode.V1, ProxyProtocolMode.parse("v1"));
        assertSame(ProxyProtocolMode.V2, ProxyProtocolMode.parse("v2"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "V1", "None", "off", "v3", "1", "true", "send-proxy", " v1", "v1 "})
    void refusesAnythingElse(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProxyProtocolMode.parse(text));
        assertEquals("expected none, v1 or v2, got '" + text + "'", e.getMessage());
    }
}
