package dev.turnpike.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ResponseTest {

    @Test
    void aValueThatCouldSplitTheResponseIsRefusedWhenBuilt() {
        for (String bad : new String[] {"a\r\nSet-Cookie: x", "a\nb", "a\rb", "a\0b"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Response.status(429).header("Retry-After", bad));
            assertEquals("header Retry-After: value contains CR, LF or NUL", e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Response.status(200).header("", "x"));
    }

    @Test
    void aBuiltResponseKeepsItsHeadersInOrderAndItsBody() {
        Response r = Response.status(429).header("Retry-After", "2").header("X-A", "1").body("slow down").build();
        assertEquals(429, r.status());
        assertEquals("Retry-After", r.headers().get(0).getKey());
        assertEquals("Content-Type", r.headers().get(2).getKey());
        assertEquals("slow down", StandardCharsets.UTF_8.decode(r.bodyBuffer()).toString());
        assertEquals(9, r.bodyLength());
    }
}
