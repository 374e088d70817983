package dev.turnpike.runtime.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.turnpike.runtime.wire.WireHarness.Read;
import dev.turnpike.runtime.wire.WireHarness.Seen;
import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.RecordingBackend;
import dev.turnpike.testing.StrictHttpParser;
import dev.turnpike.testing.StrictHttpParser.State;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The backend side of the wire: a raw backend answers one well-formed GET with a malformed
 * response, and the proxy must not pass any of it on. While no byte of the response has gone to
 * the client, that means a 502 of the proxy's own, with none of the backend's head or body in it
 * (the bad responses carry the marker {@code LEAK}). An error inside a chunked body may come after
 * the head went out: then the proxy answers 502 if it still can, or cuts the response short (the
 * client's connection closes before the body ends), and nothing after the error point (the
 * marker {@code AFTER}) may reach the client. Each response is first checked against
 * {@link StrictHttpParser}, and valid edge cases must pass through intact.
 */
class WireResponseConformanceTest {

    private static final String REQUEST = "GET /r HTTP/1.1\r\nHost: t\r\n\r\n";
    private static final String CHUNKED_HEAD = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

    static WireHarness wire;
    /** What the backend answers the next request with (then it half-closes). */
    static volatile byte[] reply = new byte[0];

    @BeforeAll
    static void start() throws Exception {
        wire = WireHarness.start((request, index) -> new RecordingBackend.Reply(reply, true));
    }

    @AfterAll
    static void stop() throws Exception {
        wire.close();
    }

    private static Seen answer(String response) throws Exception {
        byte[] bytes = response.getBytes(StandardCharsets.ISO_8859_1);
        reply = bytes;
        return wire.exchange(REQUEST, 1, Read.RESPONSES);
    }

    private static void assertStrictParserRefuses(String response) {
        StrictHttpParser.Result r = StrictHttpParser.parseResponses(response.getBytes(StandardCharsets.ISO_8859_1), true);
        assertEquals(State.ERROR, r.state(), () -> "the case list disagrees with StrictHttpParser: " + r);
    }

    private static String esc(String s) {
        return StrictHttpParser.Escape.bytes(s.getBytes(StandardCharsets.ISO_8859_1), 0, Math.min(s.length(), 200));
    }

    // ------------------------------------------------------------------ malformed heads: 502

    static Stream<Arguments> malformedHeads() {
        String tail = "X-Leak: LEAK\r\nContent-Length: 4\r\n\r\nLEAK";
        return Stream.of(
                Arguments.of("a bare LF after the status line", "HTTP/1.1 200 OK\n" + tail),
                Arguments.of("a bare LF after a field line", "HTTP/1.1 200 OK\r\nX-Leak: LEAK\nContent-Length: 4\r\n\r\nLEAK"),
                Arguments.of("a bare LF ending the head", "HTTP/1.1 200 OK\r\nX-Leak: LEAK\r\nContent-Length: 4\r\n\nLEAK"),
                Arguments.of("a bare CR after the status line", "HTTP/1.1 200 OK\r" + tail),
                Arguments.of("a status code of two digits", "HTTP/1.1 20 OK\r\n" + tail),
                Arguments.of("a status code of four digits", "HTTP/1.1 2000 OK\r\n" + tail),
                Arguments.of("a status code that is not digits", "HTTP/1.1 abc OK\r\n" + tail),
                Arguments.of("a status code below 100", "HTTP/1.1 099 Low\r\n" + tail),
                Arguments.of("a status code above 599", "HTTP/1.1 600 High\r\n" + tail),
                Arguments.of("version HTTP/2.0", "HTTP/2.0 200 OK\r\n" + tail),
                Arguments.of("version HTPT/1.1", "HTPT/1.1 200 OK\r\n" + tail),
                Arguments.of("lower-case version http/1.1", "http/1.1 200 OK\r\n" + tail),
                Arguments.of("version HTTP/1", "HTTP/1 200 OK\r\n" + tail),
                Arguments.of("two spaces before the status code", "HTTP/1.1  200 OK\r\n" + tail),
                Arguments.of("no status line", tail),
                Arguments.of("NUL in the reason phrase", "HTTP/1.1 200 O\u0000K\r\n" + tail),
                Arguments.of("whitespace before a colon", "HTTP/1.1 200 OK\r\nX-Leak: LEAK\r\nContent-Length : 4\r\n\r\nLEAK"),
                Arguments.of("obs-fold", "HTTP/1.1 200 OK\r\nX-Leak: LEAK\r\n folded\r\nContent-Length: 4\r\n\r\nLEAK"),
                Arguments.of("a space inside a field name", "HTTP/1.1 200 OK\r\nX Leak: LEAK\r\nContent-Length: 4\r\n\r\nLEAK"),
                Arguments.of("NUL in a field value", "HTTP/1.1 200 OK\r\nX-Leak: LE\u0000AK\r\nContent-Length: 4\r\n\r\nLEAK"),
                Arguments.of("Content-Length with Transfer-Encoding",
                        "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nLEAK\r\n0\r\n\r\n"),
                Arguments.of("two different Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nLEAK!"),
                Arguments.of("Content-Length: +4", "HTTP/1.1 200 OK\r\nContent-Length: +4\r\n\r\nLEAK"),
                Arguments.of("Transfer-Encoding: chunked, chunked",
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n4\r\nLEAK\r\n0\r\n\r\n"),
                Arguments.of("Transfer-Encoding in an HTTP/1.0 response",
                        "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nLEAK\r\n0\r\n\r\n"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("malformedHeads")
    void aMalformedHeadIs502WithNothingPassedOn(String name, String response) throws Exception {
        assertStrictParserRefuses(response);
        Seen seen = answer(response);
        List<String> wrong = new ArrayList<>();
        if (seen.firstStatus() != 502) {
            wrong.add("status " + seen.firstStatus() + " instead of 502");
        }
        if (seen.text().contains("LEAK")) {
            wrong.add("the backend's response reached the client");
        }
        if (!wrong.isEmpty()) {
            fail(name + ": " + String.join("; ", wrong) + ". Backend sent " + esc(response) + "; the client saw " + seen.describe());
        }
    }

    // ------------------------------------------------------------------ malformed chunked bodies: 502 or cut

    static Stream<Arguments> malformedBodies() {
        return Stream.of(
                Arguments.of("a chunk size with a leading space", " 5\r\nAFTER\r\n0\r\n\r\n"),
                Arguments.of("a chunk size with a trailing space", "5 \r\nAFTER\r\n0\r\n\r\n"),
                Arguments.of("a chunk size with a 0x prefix", "0x5\r\nAFTER\r\n0\r\n\r\n"),
                Arguments.of("a chunk size with a + sign", "+5\r\nAFTER\r\n0\r\n\r\n"),
                Arguments.of("a chunk size of 17 hex digits that wraps to 5", "10000000000000005\r\nAFTER\r\n0\r\n\r\n"),
                Arguments.of("an empty chunk size", "\r\nAFTER\r\n0\r\n\r\n"),
                Arguments.of("a chunk line ending in a bare LF", "5\nAFTER\r\n0\r\n\r\n"),
                Arguments.of("a chunk extension with a bare LF", "5;a\nb\r\nAFTER\r\n0\r\n\r\n"),
                Arguments.of("a chunk extension of 5000 bytes", "5;" + "a".repeat(5000) + "\r\nAFTER\r\n0\r\n\r\n"),
                Arguments.of("chunk data not followed by CRLF", "5\r\nfirstXX\r\n5\r\nAFTER\r\n0\r\n\r\n"),
                Arguments.of("chunk data followed by a bare LF", "5\r\nfirst\n5\r\nAFTER\r\n0\r\n\r\n"),
                Arguments.of("obs-fold in the trailer section", "5\r\nfirst\r\n0\r\nX-T: 1\r\n AFTER\r\n\r\n"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("malformedBodies")
    void aMalformedChunkedBodyIsCutOr502(String name, String body) throws Exception {
        String response = CHUNKED_HEAD + body;
        assertStrictParserRefuses(response);
        Seen seen = answer(response);
        List<String> wrong = new ArrayList<>();
        boolean answered502 = seen.firstStatus() == 502;
        boolean cut = seen.responses().isEmpty() && seen.closed() && seen.bytes().length > 0;
        if (!answered502 && !cut) {
            wrong.add(seen.responses().isEmpty() ? "neither a 502 nor a response cut short"
                    : "a complete " + seen.firstStatus() + " response instead of a 502 or a cut");
        }
        if (seen.text().contains("AFTER")) {
            wrong.add("bytes after the error reached the client");
        }
        if (!wrong.isEmpty()) {
            fail(name + ": " + String.join("; ", wrong) + ". Backend sent " + esc(response) + "; the client saw " + seen.describe());
        }
    }

    // ------------------------------------------------------------------ valid edge cases pass

    static Stream<Arguments> valid() {
        return Stream.of(
                Arguments.of("a chunked body with extensions and trailers",
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Kept: yes\r\n\r\n"
                                + "5;a=b;c=\"d\"\r\nhello\r\n6;e\r\n world\r\n0\r\nX-Trailer: t1\r\n\r\n",
                        "hello world", Map.of("X-Kept", "yes", "X-Trailer", "t1")),
                Arguments.of("upper- and lower-case hex chunk sizes with leading zeros",
                        CHUNKED_HEAD + "00A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij", Map.of()),
                Arguments.of("an HTTP/1.0 response with Content-Length",
                        "HTTP/1.0 200 OK\r\nContent-Length: 5\r\nX-Kept: yes\r\n\r\nhello", "hello", Map.of("X-Kept", "yes")),
                Arguments.of("an HTTP/1.0 response delimited by the close",
                        "HTTP/1.0 200 OK\r\nX-Kept: yes\r\n\r\nhello until close", "hello until close", Map.of("X-Kept", "yes")),
                Arguments.of("an HTTP/1.1 response delimited by the close",
                        "HTTP/1.1 200 OK\r\n\r\nhello until close", "hello until close", Map.of()),
                Arguments.of("an empty reason phrase", "HTTP/1.1 200 \r\nContent-Length: 5\r\n\r\nhello", "hello", Map.of()),
                Arguments.of("HTAB OWS and obs-text in a field value",
                        "HTTP/1.1 200 OK\r\nX-O:\tcaf\u00e9\t\r\nContent-Length: 5\r\n\r\nhello", "hello", Map.of("X-O", "caf\u00e9")));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("valid")
    void aValidResponsePassesIntact(String name, String response, String body, Map<String, String> fields) throws Exception {
        StrictHttpParser.Result strict = StrictHttpParser.parseResponses(response.getBytes(StandardCharsets.ISO_8859_1), true);
        assertEquals(State.COMPLETE, strict.state(), () -> "the case list disagrees with StrictHttpParser: " + strict);
        Seen seen = answer(response);
        List<String> wrong = new ArrayList<>();
        if (seen.responses().size() != 1) {
            wrong.add("no complete response");
        } else {
            RawHttp.Response r = seen.responses().get(0);
            if (r.status() != 200) {
                wrong.add("status " + r.status());
            }
            if (!r.bodyText().equals(body)) {
                wrong.add("body '" + r.bodyText() + "' instead of '" + body + "'");
            }
            for (Map.Entry<String, String> f : fields.entrySet()) {
                List<String> values = new ArrayList<>(r.headers(f.getKey()));
                r.trailers().stream().filter(t -> t.getKey().equalsIgnoreCase(f.getKey())).forEach(t -> values.add(t.getValue()));
                if (!values.equals(List.of(f.getValue()))) {
                    wrong.add(f.getKey() + " " + values + " instead of [" + f.getValue() + "]");
                }
            }
        }
        if (!wrong.isEmpty()) {
            fail(name + ": " + String.join("; ", wrong) + ". Backend sent " + esc(response) + "; the client saw " + seen.describe());
        }
    }
}
