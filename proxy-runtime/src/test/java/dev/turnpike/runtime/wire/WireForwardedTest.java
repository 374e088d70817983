package dev.turnpike.runtime.wire;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.turnpike.testing.StrictHttpParser;
import dev.turnpike.testing.StrictHttpParser.Message;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link Forwarded#diff}, the comparison the conformance and fuzz tests rely on: it lets through what the proxy changes by design and nothing else. */
class WireForwardedTest {

    private static Message parse(String s) {
        StrictHttpParser.Result r = StrictHttpParser.parseRequests(s.getBytes(StandardCharsets.ISO_8859_1));
        return r.messages().isEmpty() ? r.partial() : r.messages().get(0);
    }

    private static final String SENT = "POST /p?q HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\n"
            + "TE: trailers\r\nX-A: a\r\nX-Request-Id: mine\r\nExpect: 100-continue\r\nX-B: b\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "3\r\nabc\r\n0\r\nX-T: t\r\n\r\n";

    @Test
    void whatTheProxyChangesByDesignIsNoDifference() {
        Message sent = parse(SENT);
        assertNotNull(Forwarded.diff(sent, parse("POST /p?q HTTP/1.1\r\nHost: h\r\nX-A: a\r\nX-B: b\r\nX-Request-Id: theirs\r\n"
                + "Content-Length: 3\r\n\r\nabc"), true), "losing the trailers is a difference");
        assertNull(Forwarded.diff(sent, parse("POST /p?q HTTP/1.1\r\nHost: h\r\nX-A: a\r\nX-B: b\r\nX-Request-Id: theirs\r\n"
                + "transfer-encoding: chunked\r\n\r\n1\r\na\r\n2\r\nbc\r\n0\r\nX-T: t\r\n\r\n"), true));
        Message absolute = parse("GET http://e.test:81?x HTTP/1.1\r\nHost: other\r\nX-A: a\r\n\r\n");
        assertNull(Forwarded.diff(absolute, parse("GET /?x HTTP/1.1\r\nX-A: a\r\nhost: e.test:81\r\n\r\n"), true));
        Message http10 = parse("GET / HTTP/1.0\r\nX-A: a\r\n\r\n");
        assertNull(Forwarded.diff(http10, parse("GET / HTTP/1.1\r\nX-A: a\r\nHost: 127.0.0.1:1\r\n\r\n"), true));
    }

    @Test
    void everyOtherChangeIsOne() {
        Message sent = parse("POST /p HTTP/1.1\r\nHost: h\r\nX-A: a\r\nX-B: b\r\nContent-Length: 3\r\n\r\nabc");
        String ok = "POST /p HTTP/1.1\r\nHost: h\r\nX-A: a\r\nX-B: b\r\nContent-Length: 3\r\n\r\nabc";
        assertNull(Forwarded.diff(sent, parse(ok), true));
        assertNotNull(Forwarded.diff(sent, parse(ok.replace("POST", "PUT")), true), "method");
        assertNotNull(Forwarded.diff(sent, parse(ok.replace("/p", "/q")), true), "target");
        assertNotNull(Forwarded.diff(sent, parse(ok.replace("X-A: a", "X-A: z")), true), "value");
        assertNotNull(Forwarded.diff(sent, parse(ok.replace("X-A: a", "x-a: a")), true), "name case");
        assertNotNull(Forwarded.diff(sent, parse(ok.replace("X-A: a\r\nX-B: b", "X-B: b\r\nX-A: a")), true), "order");
        assertNotNull(Forwarded.diff(sent, parse(ok.replace("X-B: b\r\n", "")), true), "a field dropped");
        assertNotNull(Forwarded.diff(sent, parse(ok.replace("X-B: b\r\n", "X-B: b\r\nX-C: c\r\n")), true), "a field added");
        assertNotNull(Forwarded.diff(sent, parse(ok.replace("Host: h", "Host: i")), true), "host");
        assertNotNull(Forwarded.diff(sent, parse(ok.replace("abc", "abd")), true), "body");
        assertNotNull(Forwarded.diff(sent, parse(ok.replace("Content-Length: 3\r\n\r\nabc", "Content-Length: 4\r\n\r\nabcd")), true),
                "a longer body");
        assertNull(Forwarded.diff(sent, parse(ok.replace("abc", "ab")), false), "a body cut short is a prefix");
        assertNotNull(Forwarded.diff(sent, parse(ok.replace("abc", "xb")), false), "a cut body must be a prefix");
        assertNotNull(Forwarded.diff(sent, parse(ok.replace("Content-Length: 3\r\n\r\nabc", "Content-Length: 5\r\n\r\nabc")), false),
                "a cut body announced longer than the one sent");
        assertNotNull(Forwarded.diff(sent, parse(ok.replace("X-B: b", "X-B: b\r\nConnection: close")), true), "a hop-by-hop field added");
    }
}
