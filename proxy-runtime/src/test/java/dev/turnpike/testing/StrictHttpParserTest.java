package dev.turnpike.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.StrictHttpParser.Field;
import dev.turnpike.testing.StrictHttpParser.Framing;
import dev.turnpike.testing.StrictHttpParser.Message;
import dev.turnpike.testing.StrictHttpParser.Problem;
import dev.turnpike.testing.StrictHttpParser.Result;
import dev.turnpike.testing.StrictHttpParser.State;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The reference parser itself: it must accept what RFC 9112 allows and refuse exactly what the wire tests call strict. */
class StrictHttpParserTest {

    private static final String H = "Host: t\r\n";

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static Result req(String s) {
        return StrictHttpParser.parseRequests(bytes(s));
    }

    private static Message one(String s) {
        Result r = req(s);
        assertEquals(State.COMPLETE, r.state(), () -> "expected a complete request: " + r + " for " + esc(s));
        assertEquals(1, r.messages().size(), r::toString);
        return r.messages().get(0);
    }

    private static void malformed(String s) {
        Result r = req(s);
        assertEquals(State.ERROR, r.state(), () -> "expected an error for " + esc(s) + ", got " + r);
        assertEquals(Problem.MALFORMED, r.problem(), () -> esc(s) + ": " + r);
    }

    private static void incomplete(String s) {
        Result r = req(s);
        assertEquals(State.INCOMPLETE, r.state(), () -> "expected incomplete for " + esc(s) + ", got " + r);
    }

    private static String esc(String s) {
        return StrictHttpParser.Escape.bytes(bytes(s));
    }

    private static String chunked(String body) {
        return "POST /c HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n" + body;
    }

    // ------------------------------------------------------------------ valid requests

    @Test
    void aSimpleGetParses() {
        Message m = one("GET /a?b=c HTTP/1.1\r\nHost: example.test\r\nAccept: */*\r\n\r\n");
        assertEquals("GET", m.method());
        assertEquals("/a?b=c", m.target());
        assertEquals("HTTP/1.1", m.version());
        assertEquals(List.of(new Field("Host", "example.test"), new Field("Accept", "*/*")), m.headers());
        assertEquals(Framing.NONE, m.framing());
        assertEquals(0, m.body().length);
        assertEquals(-1, m.status());
    }

    @Test
    void owsAroundValuesIsStrippedAndObsTextKept() {
        Message m = one("GET / HTTP/1.1\r\n" + H + "X-A:\t v \t\r\nX-O: caf\u00e9\u00ff\r\nX-E:\r\nX-In: a \t b\r\n\r\n");
        assertEquals("v", m.value("x-a"));
        assertEquals("caf\u00e9\u00ff", m.value("X-O"));
        assertEquals("", m.value("X-E"));
        assertEquals("a \t b", m.value("X-In"), "whitespace inside a value stays");
    }

    @Test
    void contentLengthBodyAndPipelining() {
        Result r = req("POST /u HTTP/1.1\r\n" + H + "Content-Length: 5\r\n\r\nhelloGET /2 HTTP/1.1\r\n" + H + "\r\n");
        assertEquals(State.COMPLETE, r.state(), r::toString);
        assertEquals(2, r.messages().size());
        assertEquals("hello", r.messages().get(0).bodyText());
        assertEquals(Framing.LENGTH, r.messages().get(0).framing());
        assertEquals("/2", r.messages().get(1).target());
        assertEquals(r.messages().get(0).end(), r.messages().get(1).start());
    }

    @Test
    void leadingZerosInContentLengthAreDigits() {
        assertEquals("hello", one("POST / HTTP/1.1\r\n" + H + "Content-Length: 005\r\n\r\nhello").bodyText());
    }

    @Test
    void emptyLinesBeforeARequestAreSkipped() {
        Result r = req("\r\n\r\nGET / HTTP/1.1\r\n" + H + "\r\n\r\n");
        assertEquals(State.COMPLETE, r.state(), r::toString);
        assertEquals(1, r.messages().size());
        assertEquals(4, r.messages().get(0).start());
    }

    @Test
    void chunkedBodyWithExtensionsAndTrailers() {
        Message m = one(chunked("5;a=b;c=\"d\\\"e\"\r\nhello\r\nA ; x\r\n0123456789\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                + "000\r\nX-T: 1\r\nX-U: two\r\n\r\n"));
        assertEquals(Framing.CHUNKED, m.framing());
        assertEquals("hello0123456789abcdefghijklmnopqrstuvwxyz", m.bodyText());
        assertEquals(List.of(new Field("X-T", "1"), new Field("X-U", "two")), m.trailers());
        assertEquals(List.of(";a=b;c=\"d\\\"e\"", " ; x"), m.chunkExtensions());
    }

    @Test
    void transferEncodingIsCaseInsensitiveWithOws() {
        assertEquals("hi", one("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: \t CHUNKED \t\r\n\r\n2\r\nhi\r\n0\r\n\r\n").bodyText());
    }

    @Test
    void http10NeedsNoHost() {
        Message m = one("GET / HTTP/1.0\r\n\r\n");
        assertEquals("HTTP/1.0", m.version());
        assertNull(m.value("Host"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"t", "t:8080", "t:0", "t:65535", "127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:8080",
            "[2001:db8::1]", "[::ffff:192.0.2.1]", "[1:2:3:4:5:6:7:8]", "[v1.fe:x]", "a-b.c_d~e", "%41b", "a!$&'()*+,;=b"})
    void validHosts(String host) {
        assertTrue(StrictHttpParser.hostPort(host, false), host);
        one("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a b", "exa mple.com", "@x", "u@x", "x:port", "[::1", "::1", "a/b", "x:99999", "x:65536",
            "x:", "x:8080:1", "[::1]x", "[::1]:", "[fe80::1%eth0]", "[1::2::3]", "[1:2:3:4:5:6:7:8:9]", "[12345::]",
            "x\ty", "a?b", "a#b", "%4", "%zz", "[::1.2.3.256]", ":80", "x:-1", "x:+80", "[]"})
    void invalidHosts(String host) {
        assertFalse(StrictHttpParser.hostPort(host, false), host);
        malformed("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
    }

    @Test
    void targetForms() {
        assertEquals("*", one("OPTIONS * HTTP/1.1\r\n" + H + "\r\n").target());
        assertEquals("http://x.test/a?b", one("GET http://x.test/a?b HTTP/1.1\r\n" + H + "\r\n").target());
        assertEquals("HTTPS://x.test:8443", one("GET HTTPS://x.test:8443 HTTP/1.1\r\n" + H + "\r\n").target());
        assertEquals("x.test:443", one("CONNECT x.test:443 HTTP/1.1\r\nHost: x.test:443\r\n\r\n").target());
        malformed("GET * HTTP/1.1\r\n" + H + "\r\n");
        malformed("GET x.test:443 HTTP/1.1\r\n" + H + "\r\n");
        malformed("GET ftp://x.test/ HTTP/1.1\r\n" + H + "\r\n");
        malformed("GET http://u@x.test/ HTTP/1.1\r\n" + H + "\r\n");
        malformed("GET http:/x HTTP/1.1\r\n" + H + "\r\n");
        malformed("GET http:///x HTTP/1.1\r\n" + H + "\r\n");
        malformed("CONNECT x.test HTTP/1.1\r\n" + H + "\r\n");
    }

    // ------------------------------------------------------------------ request line errors

    @ParameterizedTest
    @ValueSource(strings = {
        "G\u0000ET / HTTP/1.1", "G\u0001ET / HTTP/1.1", "G\u007fET / HTTP/1.1", "GE(T / HTTP/1.1", "GET\t/ HTTP/1.1",
        "GET /a\u0000b HTTP/1.1", "GET /a\u0001b HTTP/1.1", "GET /a\u007fb HTTP/1.1", "GET /a\tb HTTP/1.1",
        "GET /caf\u00e9 HTTP/1.1", "GET / HTTP/1.1\u0000", "GET / HTTP/1.\u00001", "GET / http/1.1", "GET / HTTP/1.1 ",
        "GET / HTTP/1", "GET / HTTP/11", "GET / HTTP/1.1.1", "GET / HTTP/1.x", "GET /", "GET  / HTTP/1.1",
        "GET /  HTTP/1.1", " GET / HTTP/1.1", "GET / Http/1.1", "/ HTTP/1.1", "GET", ""})
    void malformedRequestLines(String line) {
        malformed(line + "\r\n" + H + "\r\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/2.0", "HTTP/3.7", "HTTP/1.2", "HTTP/0.9", "HTTP/9.9"})
    void wellFormedButUnsupportedVersionsAre505(String version) {
        Result r = req("GET / " + version + "\r\n" + H + "\r\n");
        assertEquals(State.ERROR, r.state());
        assertEquals(Problem.UNSUPPORTED_VERSION, r.problem(), r::toString);
        assertEquals(505, r.problem().status);
    }

    @Test
    void theHttp2PrefaceIsRecognised() {
        Result r = req("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        assertEquals(Problem.HTTP2_PREFACE, r.problem(), r::toString);
    }

    @Test
    void bareLineEndsAreErrorsEverywhereInTheHead() {
        malformed("GET / HTTP/1.1\n" + H + "\r\n");
        malformed("GET / HTTP/1.1\r" + H + "\r\n");
        malformed("GET / HTTP/1.1\r\nHost: t\n\r\n");
        malformed("GET / HTTP/1.1\r\nHost: t\r\n\n");
        malformed("GET / HTTP/1.1\r\nHost: t\r\r\n\r\n");
        malformed("GET / HTTP/1.1\r\nHost: t\r\n\r\r\n");
        malformed("\nGET / HTTP/1.1\r\n" + H + "\r\n");
        malformed("\rGET / HTTP/1.1\r\n" + H + "\r\n");
    }

    // ------------------------------------------------------------------ field errors

    @ParameterizedTest
    @ValueSource(strings = {"Host : t", "X-A\t: v", "X-A v", ": v", "X(A): v", "X A: v", "X\"A: v", "X@A: v",
        "X\u0000A: v", "X\u00e9A: v", "X-A: a\u0000b", "X-A: a\u0001b", "X-A: a\u007fb", "X-A: a\u000bb", "X-A: a\u000cb",
        "X-A: a\rb", "X-A: a\nb", " X-A: v", "\tX-A: v"})
    void malformedFieldLines(String line) {
        malformed("GET / HTTP/1.1\r\n" + line + "\r\n" + H + "\r\n");
    }

    @Test
    void obsFoldIsAnError() {
        Result r = req("GET / HTTP/1.1\r\n" + H + "X-A: v\r\n  continued\r\n\r\n");
        assertEquals(State.ERROR, r.state());
        assertEquals("obs-fold", r.reason());
        malformed("GET / HTTP/1.1\r\n" + H + "X-A: v\r\n\tcontinued\r\n\r\n");
    }

    @Test
    void hostMustBeThereOnceIn11() {
        malformed("GET / HTTP/1.1\r\n\r\n");
        malformed("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n");
        malformed("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n");
    }

    // ------------------------------------------------------------------ framing errors

    @ParameterizedTest
    @ValueSource(strings = {"+5", "5 5", "0x5", "-1", "", "5,5", "5, 5", "1e1", "5\t5", "99999999999999999999", "5."})
    void contentLengthMustBeDigits(String value) {
        malformed("POST / HTTP/1.1\r\n" + H + "Content-Length: " + value + "\r\n\r\nhello");
    }

    @Test
    void framingConflictsAreErrors() {
        malformed("POST / HTTP/1.1\r\n" + H + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello");
        malformed("POST / HTTP/1.1\r\n" + H + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        malformed("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n");
        malformed("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"chunked, chunked", "chunked;q=1", "\u000bchunked", "\"chunked\"", "xchunked", "chunked1",
        "chunk", "chunked, identity", "gzip, chunked", ", chunked", "chunked,", "identity", "", "chunked\u000b"})
    void transferEncodingMustBeExactlyChunked(String value) {
        malformed("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: " + value + "\r\n\r\n0\r\n\r\n");
    }

    @Test
    void transferEncodingTwiceIsAnError() {
        malformed("POST / HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    }

    // ------------------------------------------------------------------ chunked errors

    @ParameterizedTest
    @ValueSource(strings = {" 5", "\t5", "5 ", "5\t", "0x5", "+5", "-5", "5_0", "5,0", "FFFFFFFFFFFFFFFFF", "10000000000000005",
        "FFFFFFFFFFFFFFFF", "", ";a=b", "5z", "5;", "5;=v", "5;a=", "5;a=\"x", "5;a b", "5;a=b c", "5;a=\"x\u0000\"",
        "5;a=b\u007f", "5;a=b ", "5;a=\"\\\u0001\""})
    void malformedChunkLines(String line) {
        malformed(chunked(line + "\r\nhello\r\n0\r\n\r\n"));
    }

    @Test
    void sixteenHexDigitsWithin63BitsAreASize() {
        incomplete(chunked("7FFFFFFFFFFFFFFF\r\nhello"));
        incomplete(chunked("0000000000000005\r\nhel"));
    }

    @Test
    void chunkLineEndsAndTerminators() {
        malformed(chunked("5\nhello\r\n0\r\n\r\n"));
        malformed(chunked("5\rhello\r\n0\r\n\r\n"));
        malformed(chunked("5\r\nhello\n0\r\n\r\n"));
        malformed(chunked("5\r\nhello\r0\r\n\r\n"));
        malformed(chunked("5\r\nhelloXX\r\n0\r\n\r\n"));
        malformed(chunked("5\r\nhello\r\n0\n\r\n"));
        malformed(chunked("5\r\nhello\r\n0\r\n\n"));
        malformed(chunked("5;a\nb\r\nhello\r\n0\r\n\r\n"));
        malformed(chunked("5;a\rb\r\nhello\r\n0\r\n\r\n"));
        malformed(chunked("5\r\nhello\r\n0\r\nX-T: 1\r\n folded\r\n\r\n"));
        malformed(chunked("5\r\nhello\r\n0\r\nX-T : 1\r\n\r\n"));
    }

    @Test
    void chunkLinesAreBounded() {
        String atLimit = "5;" + "a".repeat(StrictHttpParser.MAX_CHUNK_LINE - 2);
        assertEquals("hello", one(chunked(atLimit + "\r\nhello\r\n0\r\n\r\n")).bodyText());
        malformed(chunked(atLimit + "a\r\nhello\r\n0\r\n\r\n"));
        malformed(chunked("5;" + "a".repeat(5000)), "even before the line ends");
    }

    private static void malformed(String s, String why) {
        assertEquals(State.ERROR, req(s).state(), why);
    }

    // ------------------------------------------------------------------ incomplete input

    @Test
    void unfinishedInputIsIncompleteNotAnError() {
        String full = chunked("5;a=\"q\"\r\nhello\r\n0\r\nX-T: 1\r\n\r\n");
        for (int cut = 0; cut < full.length(); cut++) {
            String prefix = full.substring(0, cut);
            Result r = req(prefix);
            if (cut == 0) {
                assertEquals(State.COMPLETE, r.state());
                continue;
            }
            assertEquals(State.INCOMPLETE, r.state(), () -> "prefix " + esc(prefix) + ": " + r);
        }
        assertEquals(State.COMPLETE, req(full).state());
    }

    @Test
    void anErrorIsFoundBeforeTheLineEnds() {
        malformed("GET /a\u0000");
        malformed("GET / HTTP/1.1\r\nX-A: \u0000");
        malformed("GET / HTTP/1.1\r\nX A");
        malformed(chunked(" "));
        malformed(chunked("5;a=b c"));
    }

    @Test
    void thePartialMessageHasItsHeadAndTheBodySoFar() {
        Result r = req("POST /u HTTP/1.1\r\n" + H + "Content-Length: 10\r\n\r\nhel");
        assertEquals(State.INCOMPLETE, r.state());
        assertNotNull(r.partial());
        assertEquals("/u", r.partial().target());
        assertEquals("hel", r.partial().bodyText());
        Result c = req(chunked("5\r\nhello\r\n3\r\nab"));
        assertEquals("helloab", c.partial().bodyText());
        assertNull(req("GET / HTTP/1.1\r\nHo").partial(), "no partial message before the head is complete");
    }

    @Test
    void anErrorAfterAValidRequestKeepsTheValidOne() {
        Result r = req("GET /1 HTTP/1.1\r\n" + H + "\r\nGET /2 HTTP/1.1\r\nHost : t\r\n\r\n");
        assertEquals(State.ERROR, r.state());
        assertEquals(1, r.messages().size());
        assertEquals("/1", r.messages().get(0).target());
        assertTrue(r.offset() > r.messages().get(0).end(), r::toString);
    }

    // ------------------------------------------------------------------ responses

    private static Result res(String s, boolean eof, String... methods) {
        return StrictHttpParser.parseResponses(bytes(s), eof, methods);
    }

    @Test
    void responsesParseWithEveryFraming() {
        Result r = res("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                + "HTTP/1.1 204 No Content\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\nhi\r\n0\r\nX-T: t\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n"
                + "HTTP/1.0 200\r\n\r\nuntil close", true, "GET", "GET", "GET", "HEAD");
        assertEquals(State.COMPLETE, r.state(), r::toString);
        List<Message> m = r.messages();
        assertEquals(6, m.size());
        assertEquals(100, m.get(0).status());
        assertEquals("ok", m.get(1).bodyText());
        assertEquals(204, m.get(2).status());
        assertEquals("hi", m.get(3).bodyText());
        assertEquals(List.of(new Field("X-T", "t")), m.get(3).trailers());
        assertEquals(0, m.get(4).body().length, "a response to HEAD has no body");
        assertEquals("until close", m.get(5).bodyText());
        assertEquals(Framing.UNTIL_CLOSE, m.get(5).framing());
        assertEquals("", m.get(5).reason());
        assertEquals(State.INCOMPLETE, res("HTTP/1.1 200 OK\r\n\r\nmore to come", false).state());
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "HTTP/1.1 099 X\r\n\r\n",
        "HTTP/1.1 600 X\r\n\r\n", "HTPT/1.1 200 OK\r\n\r\n", "http/1.1 200 OK\r\n\r\n", "HTTP/1.1  200 OK\r\n\r\n",
        "HTTP/1.1 200 O\u0000K\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 2\r\nok\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n",
        "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"})
    void malformedResponses(String response) {
        Result r = res(response, true);
        assertEquals(State.ERROR, r.state(), () -> esc(response) + ": " + r);
    }

    @Test
    void aResponseVersionOtherThan1xIsUnsupported() {
        assertEquals(Problem.UNSUPPORTED_VERSION, res("HTTP/2.0 200 OK\r\n\r\n", true).problem());
    }

    @Test
    void bodyBytesAreKeptExactly() {
        byte[] body = new byte[256];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) i;
        }
        byte[] head = bytes("POST / HTTP/1.1\r\n" + H + "Content-Length: 256\r\n\r\n");
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        Result r = StrictHttpParser.parseRequests(all);
        assertArrayEquals(body, r.messages().get(0).body());
    }
}
