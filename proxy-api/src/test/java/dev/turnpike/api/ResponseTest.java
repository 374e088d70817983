package dev.turnpike.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
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

    private static java.util.List<String> contentTypes(Response r) {
        return r.headers().stream().filter(h -> h.getKey().equalsIgnoreCase("Content-Type")).map(Map.Entry::getValue).toList();
    }

    @Test
    void aTextBodyIsPlainTextUnlessATypeIsGiven() {
        assertEquals(List.of("text/plain; charset=utf-8"), contentTypes(Response.status(200).body("hi").build()));
        assertEquals(List.of(), contentTypes(Response.status(200).body(new byte[] {1}).build()));
        assertEquals(List.of(), contentTypes(Response.status(204).build()));
    }

    @Test
    void exactlyOneContentTypeWhicheverWayAndOrderItIsGiven() {
        String json = "application/json";
        assertEquals(List.of(json), contentTypes(Response.status(403).body("{}", json).build()));
        assertEquals(List.of(json), contentTypes(Response.status(403).body("{}").contentType(json).build()));
        assertEquals(List.of(json), contentTypes(Response.status(403).contentType(json).body("{}").build()));
        assertEquals(List.of(json), contentTypes(Response.status(403).body("{}").header("Content-Type", json).build()),
                "the issue: a header added after body(String) gave two");
        assertEquals(List.of(json), contentTypes(Response.status(403).header("content-type", json).body("{}").build()));
        assertEquals(List.of(json), contentTypes(Response.status(403).body(new byte[] {'{', '}'}, json).build()));
        assertEquals(List.of("text/html"), contentTypes(Response.status(403).contentType(json).body("<p>", "text/html").build()),
                "the last type given wins");
    }

    @Test
    void aContentTypeThatCouldSplitTheResponseOrIsEmptyIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Response.status(200).contentType("a\r\nX: y"));
        assertThrows(IllegalArgumentException.class, () -> Response.status(200).contentType(" "));
        assertThrows(IllegalArgumentException.class, () -> Response.status(200).body("x", "a\nb"));
    }
}
