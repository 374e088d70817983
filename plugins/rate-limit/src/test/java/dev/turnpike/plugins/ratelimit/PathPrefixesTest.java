package dev.turnpike.plugins.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;

class PathPrefixesTest {

    @Test
    void normalization() {
        assertEquals("/api/x", PathPrefixes.normalize("/%61pi/x"));
        assertEquals("/api/x", PathPrefixes.normalize("/%61%70%69/x"));
        assertEquals("/api/x", PathPrefixes.normalize("//api///x"));
        assertEquals("/api/x", PathPrefixes.normalize("/static/../api/./x"));
        assertEquals("/api/", PathPrefixes.normalize("/api/x/.."));
        assertEquals("/api/", PathPrefixes.normalize("/api/."));
        assertEquals("/", PathPrefixes.normalize("/../.."));
        assertEquals("/a%2Fb/", PathPrefixes.normalize("/a%2Fb/."), "an encoded slash is not a separator");
        assertEquals("/a%2F..", PathPrefixes.normalize("/a%2F.."), "nor is its dot-dot a segment");
        assertEquals("/a%zz", PathPrefixes.normalize("/a%zz"), "a broken escape stays as written");
        assertEquals("/a%", PathPrefixes.normalize("/a%"));
        assertEquals("/a%e0", PathPrefixes.normalize("/a%e0"), "only unreserved characters are decoded");
        String plain = "/api/users";
        assertSame(plain, PathPrefixes.normalize(plain), "the common case allocates nothing");
    }

    @Test
    void matchingIsBySegmentAndLongestFirst() {
        PathPrefixes p = PathPrefixes.of(List.of("/api", "/api/admin", "/files/"));
        assertEquals("/api", p.match("/api"));
        assertEquals("/api", p.match("/api/"));
        assertEquals("/api", p.match("/api/users"));
        assertNull(p.match("/apix"));
        assertEquals("/api/admin", p.match("/api/admin/users"));
        assertEquals("/api", p.match("/api/administrator"));
        assertEquals("/files/", p.match("/files/a.txt"));
        assertNull(p.match("/files"));
        assertNull(p.match("/"));
        assertNull(p.match("*"));
        assertEquals("/api/admin", p.match("/api/x/../admin"));
    }

    @Test
    void configuredPrefixesAreNormalizedToo() {
        PathPrefixes p = PathPrefixes.of(List.of("//api/./v1", "/api/v1"));
        assertEquals(List.of("/api/v1"), p.prefixes());
    }
}
