package dev.turnpike.runtime.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.turnpike.runtime.wire.WireHarness.Read;
import dev.turnpike.runtime.wire.WireHarness.Seen;
import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.RecordingBackend;
import dev.turnpike.testing.StrictHttpParser;
import dev.turnpike.testing.StrictHttpParser.Escape;
import dev.turnpike.testing.StrictHttpParser.Problem;
import dev.turnpike.testing.StrictHttpParser.Result;
import dev.turnpike.testing.StrictHttpParser.State;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The client side of the wire, byte for byte: what a strict proxy refuses, and what it must still
 * take. Every refusal is asserted three ways at once: the status (400, or 505 for a well-formed
 * version the proxy does not speak), the proxy closing the connection (the stream can no longer be
 * trusted), and nothing at all reaching the backend. The cases come from RFC 9110/9112 and the
 * public request-smuggling corpora (HTTP Garden, smuggler's mutations, nginx-tests, HAProxy
 * reg-tests), written afresh; {@code BadInputTest} has the first few and is not repeated here.
 * Each case is first checked against {@link StrictHttpParser}, so the list and the reference
 * parser cannot drift apart.
 */
class WireRequestConformanceTest {

    static WireHarness wire;

    @BeforeAll
    static void start() throws Exception {
        wire = WireHarness.start();
    }

    @AfterAll
    static void stop() throws Exception {
        wire.close();
    }

    // ------------------------------------------------------------------ request builders

    private static final String HOST = "Host: t\r\n";

    /** A chunked POST whose body is {@code body} (chunks and all). */
    private static String chunked(String body) {
        return "POST /c HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n" + body;
    }

    /** A chunked POST whose first chunk line is {@code line}, with {@code hello} as the data. */
    private static String chunkLine(String line) {
        return chunked(line + "\r\nhello\r\n0\r\n\r\n");
    }

    /** A GET whose request line is {@code line}. */
    private static String requestLine(String line) {
        return line + "\r\n" + HOST + "\r\n";
    }

    /** A GET with the field line {@code line} before Host. */
    private static String field(String line) {
        return "GET / HTTP/1.1\r\n" + line + "\r\n" + HOST + "\r\n";
    }

    private static String host(String value) {
        return "GET / HTTP/1.1\r\nHost: " + value + "\r\n\r\n";
    }

    private static String post(String fields, String body) {
        return "POST /c HTTP/1.1\r\n" + HOST + fields + "\r\n" + body;
    }

    private static String contentLength(String value) {
        return post("Content-Length: " + value + "\r\n", "hello");
    }

    private static String transferEncoding(String value) {
        return post("Transfer-Encoding: " + value + "\r\n", "5\r\nhello\r\n0\r\n\r\n");
    }

    private static Arguments bad(String name, String request) {
        return Arguments.of(name, request, 400);
    }

    private static Arguments unsupported(String name, String request) {
        return Arguments.of(name, request, 505);
    }

    // ------------------------------------------------------------------ refused

    static Stream<Arguments> malformed() {
        String sixteen = "0123456789abcdef";
        return Stream.of(
                // chunk-size: exactly 1*HEXDIG
                bad("chunk size with a leading space", chunkLine(" 5")),
                bad("chunk size with a leading tab", chunkLine("\t5")),
                bad("chunk size with a trailing space", chunkLine("5 ")),
                bad("chunk size with a trailing tab", chunkLine("5\t")),
                bad("chunk size with a 0x prefix", chunkLine("0x5")),
                bad("chunk size with a + sign", chunkLine("+5")),
                bad("chunk size with a - sign", chunkLine("-5")),
                bad("chunk size with a _ separator", chunked("1_0\r\n" + sixteen + "\r\n0\r\n\r\n")),
                bad("chunk size with a , separator", chunked("1,0\r\n" + sixteen + "\r\n0\r\n\r\n")),
                bad("chunk size of 17 hex digits that wraps to 5", chunkLine("10000000000000005")),
                bad("chunk size FFFFFFFFFFFFFFFFF (17 digits)", chunkLine("FFFFFFFFFFFFFFFFF")),
                bad("chunk size FFFFFFFFFFFFFFFF (beyond 63 bits)", chunkLine("FFFFFFFFFFFFFFFF")),
                bad("empty chunk size", chunkLine("")),
                bad("chunk line with an extension but no size", chunkLine(";a=b")),
                bad("chunk size followed by junk", chunkLine("5z")),
                bad("last chunk with a trailing space", chunked("5\r\nhello\r\n0 \r\n\r\n")),
                // CRLF and nothing else ends a chunk line and chunk data
                bad("chunk line ending in a bare LF", chunked("5\nhello\r\n0\r\n\r\n")),
                bad("chunk data ending in a bare LF", chunked("5\r\nhello\n0\r\n\r\n")),
                bad("last chunk line ending in a bare LF", chunked("5\r\nhello\r\n0\n\r\n")),
                bad("chunked body ending in a bare LF", chunked("5\r\nhello\r\n0\r\n\n")),
                bad("chunk line ending in a bare CR", chunked("5\rhello\r\n0\r\n\r\n")),
                bad("chunk data ending in a bare CR", chunked("5\r\nhello\r0\r\n\r\n")),
                bad("chunk data longer than its size", chunked("5\r\nhelloXX\r\n0\r\n\r\n")),
                bad("chunk size covering the last chunk", chunked("8\r\nhello\r\n0\r\n\r\n")),
                // chunk-ext: RFC 9112 §7.1.1 and bounded
                bad("chunk extension of 5000 bytes on one line", chunkLine("5;" + "a".repeat(5000))),
                bad("chunk line of many extensions over 4096 bytes", chunkLine("5" + ";a=b".repeat(1100))),
                bad("chunk extension without a name", chunkLine("5;")),
                bad("chunk extension '=' without a name", chunkLine("5;=v")),
                bad("chunk extension without a value after '='", chunkLine("5;a=")),
                bad("chunk extension with an unterminated quoted string", chunkLine("5;a=\"x")),
                bad("chunk extension with a space inside the name", chunkLine("5;a b")),
                bad("chunk extension with a space inside the value", chunkLine("5;a=b c")),
                bad("chunk extension with a NUL in a quoted string", chunkLine("5;a=\"x\u0000\"")),
                bad("chunk extension with a DEL", chunkLine("5;a=b\u007f")),
                bad("chunk extension with a bare LF", chunkLine("5;a\nb")),
                bad("chunk extension with a bare CR", chunkLine("5;a\rb")),
                bad("chunk extension with trailing whitespace", chunkLine("5;a=b ")),
                // trailer section: the field-line rules
                bad("obs-fold in the trailer section", chunked("5\r\nhello\r\n0\r\nX-T: 1\r\n folded\r\n\r\n")),
                bad("whitespace before the colon of a trailer", chunked("5\r\nhello\r\n0\r\nX-T : 1\r\n\r\n")),
                bad("NUL in a trailer value", chunked("5\r\nhello\r\n0\r\nX-T: a\u0000b\r\n\r\n")),
                // request line: method SP request-target SP HTTP-version CRLF
                bad("NUL in the method", requestLine("G\u0000ET / HTTP/1.1")),
                bad("\\x01 in the method", requestLine("G\u0001ET / HTTP/1.1")),
                bad("DEL in the method", requestLine("G\u007fET / HTTP/1.1")),
                bad("a non-token character in the method", requestLine("GE(T / HTTP/1.1")),
                bad("HTAB between method and target", requestLine("GET\t/ HTTP/1.1")),
                bad("NUL in the target", requestLine("GET /a\u0000b HTTP/1.1")),
                bad("\\x01 in the target", requestLine("GET /a\u0001b HTTP/1.1")),
                bad("DEL in the target", requestLine("GET /a\u007fb HTTP/1.1")),
                bad("HTAB in the target", requestLine("GET /a\tb HTTP/1.1")),
                bad("obs-text in the target", requestLine("GET /caf\u00e9 HTTP/1.1")),
                bad("NUL after the version", requestLine("GET / HTTP/1.1\u0000")),
                bad("NUL inside the version", requestLine("GET / HTTP/1.\u00001")),
                bad("lower-case http/1.1", requestLine("GET / http/1.1")),
                bad("mixed-case Http/1.1", requestLine("GET / Http/1.1")),
                bad("a trailing space after the version", requestLine("GET / HTTP/1.1 ")),
                bad("version HTTP/1", requestLine("GET / HTTP/1")),
                bad("version HTTP/11", requestLine("GET / HTTP/11")),
                bad("version HTTP/1.1.1", requestLine("GET / HTTP/1.1.1")),
                bad("no version (HTTP/0.9 simple request)", requestLine("GET /")),
                bad("two spaces between method and target", requestLine("GET  / HTTP/1.1")),
                bad("two spaces between target and version", requestLine("GET /  HTTP/1.1")),
                bad("a space before the method", requestLine(" GET / HTTP/1.1")),
                bad("request line ending in a bare LF", "GET / HTTP/1.1\n" + HOST + "\r\n"),
                bad("request line ending in a bare CR", "GET / HTTP/1.1\r" + HOST + "\r\n"),
                bad("a head of bare LFs only", "GET / HTTP/1.1\nHost: t\n\n"),
                bad("asterisk-form target for GET", requestLine("GET * HTTP/1.1")),
                bad("authority-form target for GET", requestLine("GET t:80 HTTP/1.1")),
                bad("absolute-form target of another scheme", requestLine("GET ftp://t/x HTTP/1.1")),
                bad("absolute-form target with userinfo", requestLine("GET http://user@t/x HTTP/1.1")),
                bad("absolute-form target with a port beyond 65535", requestLine("GET http://t:99999/x HTTP/1.1")),
                unsupported("version HTTP/2.0", requestLine("GET / HTTP/2.0")),
                unsupported("version HTTP/3.7", requestLine("GET / HTTP/3.7")),
                unsupported("version HTTP/1.2", requestLine("GET / HTTP/1.2")),
                unsupported("version HTTP/0.9", requestLine("GET / HTTP/0.9")),
                unsupported("version HTTP/9.9", requestLine("GET / HTTP/9.9")),
                // field lines: token ":" OWS field-value OWS CRLF
                bad("a space before the colon", field("X-A : v")),
                bad("an HTAB before the colon", field("X-A\t: v")),
                bad("Transfer-Encoding with a space before the colon, beside Content-Length",
                        post("Content-Length: 5\r\nTransfer-Encoding : chunked\r\n", "0\r\n\r\n")),
                bad("obs-fold with SP", "GET / HTTP/1.1\r\n" + HOST + "X-A: v\r\n  continued\r\n\r\n"),
                bad("obs-fold with HTAB", "GET / HTTP/1.1\r\n" + HOST + "X-A: v\r\n\tcontinued\r\n\r\n"),
                bad("Transfer-Encoding folded onto the next line, beside Content-Length",
                        post("Content-Length: 5\r\nTransfer-Encoding:\r\n chunked\r\n", "0\r\n\r\n")),
                bad("whitespace before the first field line", "GET / HTTP/1.1\r\n " + HOST + "\r\n"),
                bad("a field line without a colon", field("X-A v")),
                bad("an empty field name", field(": v")),
                bad("'(' in a field name", field("X(A): v")),
                bad("a space inside a field name", field("X A: v")),
                bad("'\"' in a field name", field("X\"A: v")),
                bad("'@' in a field name", field("X@A: v")),
                bad("NUL in a field name", field("X\u0000A: v")),
                bad("obs-text in a field name", field("X\u00e9A: v")),
                bad("NUL in a field value", field("X-A: a\u0000b")),
                bad("a bare CR in a field value", field("X-A: a\rb")),
                bad("a bare LF in a field value", field("X-A: a\nX-B: b")),
                bad("\\x01 in a field value", field("X-A: a\u0001b")),
                bad("DEL in a field value", field("X-A: a\u007fb")),
                bad("VT in a field value", field("X-A: a\u000bb")),
                bad("FF in a field value", field("X-A: a\u000cb")),
                bad("a field line ending in a bare LF", "GET / HTTP/1.1\r\nHost: t\nX-A: v\r\n\r\n"),
                bad("a head ending in a bare LF", "GET / HTTP/1.1\r\n" + HOST + "\n"),
                bad("a field line ending in a bare CR", "GET / HTTP/1.1\r\nX-A: v\r" + HOST + "\r\n"),
                // Host: exactly once in HTTP/1.1, uri-host [":" port]
                bad("two different Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
                bad("two identical Host fields", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"),
                bad("two Host fields in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"),
                bad("Host: a b", host("a b")),
                bad("Host: exa mple.com", host("exa mple.com")),
                bad("Host: @x", host("@x")),
                bad("Host: user@x", host("user@x")),
                bad("Host: x:port", host("x:port")),
                bad("Host: [::1 (unclosed IP literal)", host("[::1")),
                bad("Host: ::1 (IPv6 without brackets)", host("::1")),
                bad("Host: [::1]x", host("[::1]x")),
                bad("Host: [fe80::1%25eth0] (zone id)", host("[fe80::1%25eth0]")),
                bad("Host: a/b", host("a/b")),
                bad("Host: a?b", host("a?b")),
                bad("Host: a#b", host("a#b")),
                bad("Host: x:99999 (port beyond 65535)", host("x:99999")),
                bad("Host: x:65536", host("x:65536")),
                bad("Host: x:-1", host("x:-1")),
                bad("Host: x: (empty port)", host("x:")),
                bad("Host: x:1:2", host("x:1:2")),
                bad("an empty Host", host("")),
                bad("Host: a%zzb (bad percent-encoding)", host("a%zzb")),
                bad("Host with an HTAB inside", host("x\ty")),
                // Content-Length: 1*DIGIT, once
                bad("Content-Length: +5", contentLength("+5")),
                bad("Content-Length: 5 5", contentLength("5 5")),
                bad("Content-Length: 0x5", contentLength("0x5")),
                bad("Content-Length: -1", contentLength("-1")),
                bad("an empty Content-Length", contentLength("")),
                bad("Content-Length: 5, 5", contentLength("5, 5")),
                bad("Content-Length: 5,5", contentLength("5,5")),
                bad("Content-Length: 1e1", contentLength("1e1")),
                bad("Content-Length: 5.", contentLength("5.")),
                bad("Content-Length of 20 digits", contentLength("99999999999999999999")),
                bad("Content-Length with a VT before it", contentLength("\u000b5")),
                bad("two equal Content-Length fields", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello")),
                bad("Transfer-Encoding before Content-Length",
                        post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "5\r\nhello\r\n0\r\n\r\n")),
                bad("Transfer-Encoding: chunked with Content-Length: 0",
                        post("Transfer-Encoding: chunked\r\nContent-Length: 0\r\n", "5\r\nhello\r\n0\r\n\r\n")),
                // Transfer-Encoding: exactly one chunked
                bad("Transfer-Encoding: chunked, chunked", transferEncoding("chunked, chunked")),
                bad("two Transfer-Encoding: chunked fields",
                        post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n")),
                bad("Transfer-Encoding: chunked, then Transfer-Encoding: x",
                        post("Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n", "5\r\nhello\r\n0\r\n\r\n")),
                bad("Transfer-Encoding: chunked;q=1", transferEncoding("chunked;q=1")),
                bad("Transfer-Encoding: \\x0bchunked", transferEncoding("\u000bchunked")),
                bad("Transfer-Encoding: chunked\\x0b", transferEncoding("chunked\u000b")),
                bad("Transfer-Encoding: \"chunked\"", transferEncoding("\"chunked\"")),
                bad("Transfer-Encoding: xchunked", transferEncoding("xchunked")),
                bad("Transfer-Encoding: chunked1", transferEncoding("chunked1")),
                bad("Transfer-Encoding: chunk", transferEncoding("chunk")),
                bad("Transfer-Encoding: chunked, identity", transferEncoding("chunked, identity")),
                bad("Transfer-Encoding: , chunked (empty list element)", transferEncoding(", chunked")),
                bad("Transfer-Encoding: chunked, (empty list element)", transferEncoding("chunked,")),
                bad("an empty Transfer-Encoding", transferEncoding("")),
                bad("Transfer-Encoding in an HTTP/1.0 request",
                        "POST /c HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("malformed")
    void isRefusedClosedAndNeverForwarded(String name, String request, int status) throws Exception {
        byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
        Result strict = StrictHttpParser.parseRequests(bytes);
        assertEquals(State.ERROR, strict.state(), () -> "the case list disagrees with StrictHttpParser: " + strict);
        assertEquals(status, strict.problem().status, () -> "the case list disagrees with StrictHttpParser: " + strict);
        assertTrue(strict.messages().isEmpty(), "each case is one request");

        int mark = wire.backend.accepted();
        Seen seen = wire.exchange(bytes, 1, Read.REFUSAL_CLOSES);
        List<RecordingBackend.Connection> reached = wire.reached(mark);

        List<String> wrong = new ArrayList<>();
        if (seen.firstStatus() != status) {
            wrong.add("status " + seen.firstStatus() + " instead of " + status);
        }
        if (!seen.closed()) {
            wrong.add("the connection was not closed");
        }
        if (seen.responses().size() > 1) {
            wrong.add(seen.responses().size() + " responses");
        }
        if (!reached.isEmpty()) {
            wrong.add("the backend got " + describe(reached));
        }
        if (!wrong.isEmpty()) {
            fail(name + ": " + String.join("; ", wrong) + ". Sent " + Escape.bytes(bytes, 0, Math.min(bytes.length, 200))
                    + "; the client saw " + seen.describe());
        }
    }

    @Test
    void theHttp2PrefaceIsClosedWithoutAnHttp1Answer() throws Exception {
        byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(Problem.HTTP2_PREFACE, StrictHttpParser.parseRequests(preface).problem());
        int mark = wire.backend.accepted();
        Seen seen = wire.exchange(preface, 0, Read.UNTIL_CLOSE);
        List<String> wrong = new ArrayList<>();
        if (seen.bytes().length > 0) {
            wrong.add("the proxy sent " + seen.bytes().length + " bytes");
        }
        if (!seen.closed()) {
            wrong.add("the connection was not closed");
        }
        if (!wire.reached(mark).isEmpty()) {
            wrong.add("the backend got " + describe(wire.reached(mark)));
        }
        if (!wrong.isEmpty()) {
            fail("HTTP/2 preface: " + String.join("; ", wrong) + "; the client saw " + seen.describe());
        }
    }

    // ------------------------------------------------------------------ taken

    static Stream<Arguments> valid() {
        StringBuilder every = new StringBuilder();
        for (int i = 0; i < 256; i++) {
            every.append((char) i);
        }
        String thirtyOne = "abcdefghijklmnopqrstuvwxyz01234";
        return Stream.of(
                Arguments.of("chunk extensions ;a=b;c=\"d\" and a bare name",
                        chunked("5;a=b;c=\"d\"\r\nhello\r\n6;e\r\n world\r\n0;z=\"last\"\r\n\r\n")),
                Arguments.of("a quoted-pair in a chunk extension", chunked("5;q=\"a\\\"b\"\r\nhello\r\n0\r\n\r\n")),
                Arguments.of("upper- and lower-case hex chunk sizes",
                        chunked("A\r\n0123456789\r\na\r\n0123456789\r\n1F\r\n" + thirtyOne + "\r\n0\r\n\r\n")),
                Arguments.of("chunk sizes with leading zeros", chunked("0005\r\nhello\r\n000\r\n\r\n")),
                Arguments.of("a chunk line of exactly 4096 bytes",
                        chunked("5;" + "e".repeat(StrictHttpParser.MAX_CHUNK_LINE - 2) + "\r\nhello\r\n0\r\n\r\n")),
                Arguments.of("trailer fields", chunked("5\r\nhello\r\n0\r\nX-T: 1\r\nX-U: two words\r\n\r\n")),
                Arguments.of("Transfer-Encoding: Chunked with OWS",
                        post("Transfer-Encoding: \t Chunked \t\r\n", "5\r\nhello\r\n0\r\n\r\n")),
                Arguments.of("Content-Length with OWS and leading zeros", post("Content-Length:  005 \r\n", "hello")),
                Arguments.of("a body of every byte value", post("Content-Length: 256\r\n", every.toString())),
                Arguments.of("HTAB and SP as OWS around values",
                        "GET /ows HTTP/1.1\r\n" + HOST + "X-A:\tv1\t\r\nX-B: \t v2 \t \r\nX-C:v3\r\n\r\n"),
                Arguments.of("obs-text in values", "GET /obs HTTP/1.1\r\n" + HOST + "X-O: caf\u00e9 \u00ff\u0080\r\n\r\n"),
                Arguments.of("an empty field value", "GET /e HTTP/1.1\r\n" + HOST + "X-E:\r\nX-F: \r\n\r\n"),
                Arguments.of("field names in any case, repeated fields in order",
                        "GET /case HTTP/1.1\r\nHOST: t\r\nx-a: 1\r\nX-A: 2\r\nx-A: 3\r\n\r\n"),
                Arguments.of("HTTP/1.0 without Host", "GET /old HTTP/1.0\r\nX-Old: yes\r\n\r\n"),
                Arguments.of("HTTP/1.0 with a Content-Length body", "POST /old HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello"),
                Arguments.of("an absolute-form target", "GET http://example.test/abs?q=1 HTTP/1.1\r\nHost: other.test\r\n\r\n"),
                Arguments.of("an absolute-form target with a port and no path",
                        "GET http://example.test:8080 HTTP/1.1\r\nHost: example.test:8080\r\n\r\n"),
                Arguments.of("an IPv6 literal Host with a port", host("[::1]:8080")),
                Arguments.of("an IPv4 Host with a port", host("127.0.0.1:80")),
                Arguments.of("OPTIONS *", "OPTIONS * HTTP/1.1\r\n" + HOST + "\r\n"),
                Arguments.of("empty lines before the request line", "\r\n\r\nGET /after-empty HTTP/1.1\r\n" + HOST + "\r\n"),
                Arguments.of("two pipelined requests, the first with a body",
                        post("Content-Length: 5\r\n", "hello") + "GET /second HTTP/1.1\r\n" + HOST + "X-Two: 2\r\n\r\n"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("valid")
    void isForwardedIntact(String name, String request) throws Exception {
        byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
        Result strict = StrictHttpParser.parseRequests(bytes);
        assertEquals(State.COMPLETE, strict.state(), () -> "the case list disagrees with StrictHttpParser: " + strict);
        int k = strict.messages().size();

        int mark = wire.backend.accepted();
        Seen seen = wire.exchange(bytes, k, Read.REFUSAL_CLOSES);
        List<RecordingBackend.Connection> reached = wire.reached(mark);

        List<String> wrong = new ArrayList<>();
        if (seen.responses().size() != k || seen.responses().stream().anyMatch(r -> r.status() != 200)) {
            wrong.add("answered " + statuses(seen.responses()) + " instead of " + k + " x 200");
        }
        if (reached.size() != k) {
            wrong.add(reached.size() + " request(s) reached the backend instead of " + k);
        }
        for (int i = 0; i < Math.min(k, reached.size()); i++) {
            Result got = reached.get(i).requests();
            if (got.state() != State.COMPLETE || got.messages().size() != 1) {
                wrong.add("the backend's bytes are not one strict request: " + got + " in " + reached.get(i));
                continue;
            }
            String diff = Forwarded.diff(strict.messages().get(i), got.messages().get(0), true);
            if (diff != null) {
                wrong.add("request " + (i + 1) + " changed on the way: " + diff);
            }
        }
        if (!wrong.isEmpty()) {
            fail(name + ": " + String.join("; ", wrong) + ". Sent " + Escape.bytes(bytes, 0, Math.min(bytes.length, 300))
                    + "; the client saw " + seen.describe());
        }
    }

    private static String statuses(List<RawHttp.Response> responses) {
        List<Integer> s = new ArrayList<>();
        responses.forEach(r -> s.add(r.status()));
        return s.toString();
    }

    private static String describe(List<RecordingBackend.Connection> reached) {
        StringBuilder sb = new StringBuilder();
        for (RecordingBackend.Connection c : reached) {
            byte[] b = c.bytes();
            sb.append(sb.length() == 0 ? "" : " | ").append(Escape.bytes(b, 0, Math.min(b.length, 200)));
        }
        return sb.toString();
    }
}
