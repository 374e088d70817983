package dev.turnpike.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MessageSyntaxTest {

    @Test
    void namesAndMethodsAreTokens() {
        MessageSyntax.checkName("X-Request-Id");
        assertEquals("PURGE", MessageSyntax.checkMethod("PURGE"));
        assertEquals("header name 'X Bad' is not an HTTP token",
                assertThrows(IllegalArgumentException.class, () -> MessageSyntax.checkName("X Bad")).getMessage());
        assertEquals("empty header name", assertThrows(IllegalArgumentException.class, () -> MessageSyntax.checkName("")).getMessage());
        assertEquals("method 'GE:T' is not an HTTP token",
                assertThrows(IllegalArgumentException.class, () -> MessageSyntax.checkMethod("GE:T")).getMessage());
        assertTrue(MessageSyntax.isToken("a!#$%&'*+-.^_`|~9"));
        assertFalse(MessageSyntax.isToken("a(b)"));
        assertFalse(MessageSyntax.isToken(""));
    }

    @Test
    void valuesThatCouldSplitAMessageAreRefused() {
        MessageSyntax.checkValue("X-A", "tabs\tand spaces are fine");
        for (String bad : new String[] {"a\r\nX-Injected: 1", "a\nb", "a\u0000b"}) {
            assertEquals("header X-A: value contains CR, LF or NUL",
                    assertThrows(IllegalArgumentException.class, () -> MessageSyntax.checkValue("X-A", bad)).getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> MessageSyntax.checkValue("X-A", null));
    }

    @Test
    void targetsHaveNoSpacesOrControlCharacters() {
        assertEquals("/a?b=c", MessageSyntax.checkTarget("/a?b=c"));
        for (String bad : new String[] {"", "/a b", "/a\r\n", "/caf\u00e9"}) {
            assertThrows(IllegalArgumentException.class, () -> MessageSyntax.checkTarget(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> MessageSyntax.checkTarget(null));
    }
}
