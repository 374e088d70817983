package dev.turnpike.runtime.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The client side's decoder on an embedded channel: what it hands up for good requests (whole, in
 * pieces, byte by byte, pipelined), and that every way of breaking RFC 9112's grammar ends in one
 * failed message with the right status and nothing after it.
 */
class RequestDecoderTest {

    /** What the decoder made of some input: the messages, bodies joined, and whether it closed. */
    record Decoded(List<HttpObject> messages, String body, boolean open) {
        HttpRequest request(int i) {
            return (HttpRequest) messages.stream().filter(m -> m instanceof HttpRequest).toList().get(i);
        }

        WireViolation failure() {
            for (HttpObject m : messages) {
                if (m.decoderResult().isFailure()) {
                    return (WireViolation) m.decoderResult().cause();
                }
            }
            return null;
        }
    }

    static Decoded decode(String input, int pieceSize) {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestDecoder(8192, 8192, 64 * 1024));
        byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < bytes.length; i += pieceSize) {
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, i, Math.min(pieceSize, bytes.length - i)));
        }
        List<HttpObject> out = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (Object m; (m = ch.readInbound()) != null; ) {
            out.add((HttpObject) m);
            if (m instanceof HttpContent c) {
                body.append(c.content().toString(StandardCharsets.ISO_8859_1));
            }
            ReferenceCountUtil.release(m);
        }
        boolean open = ch.isOpen();
        ch.finishAndReleaseAll();
        return new Decoded(out, body.toString(), open);
    }

    static Decoded decode(String input) {
        return decode(input, Integer.MAX_VALUE);
    }

    @Test
    void aSimpleRequestIsAHeadAndAnEmptyEnd() {
        Decoded d = decode("GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nX-Case:  Kept \t\r\n\r\n");
        assertEquals(2, d.messages().size());
        HttpRequest r = d.request(0);
        assertEquals(HttpMethod.GET, r.method());
        assertEquals("/a?b=c", r.uri());
        assertSame(HttpVersion.HTTP_1_1, r.protocolVersion());
        assertEquals("Kept", r.headers().get("x-case"), "OWS around a value is not part of it");
        assertEquals("X-Case", r.headers().names().stream().filter(n -> n.equalsIgnoreCase("x-case")).findFirst().orElseThrow(),
                "a name keeps the case it was sent in");
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, d.messages().get(1));
        assertTrue(d.open());
    }

    @Test
    void byteByByteIsTheSameAsAllAtOnce() {
        String req = "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;c=\"d\\\"e\"\r\nhello\r\n"
                + "A\r\n0123456789\r\n0\r\nTrailer-One: 1\r\n\r\n";
        Decoded whole = decode(req);
        Decoded trickled = decode(req, 1);
        assertEquals("hello0123456789", whole.body());
        assertEquals(whole.body(), trickled.body());
        assertNull(trickled.failure());
        LastHttpContent last = (LastHttpContent) trickled.messages().get(trickled.messages().size() - 1);
        assertEquals("1", last.trailingHeaders().get("trailer-one"));
    }

    @Test
    void pipelinedRequestsComeOutInOrderWithTheirBodies() {
        Decoded d = decode("PUT /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                + "\r\nGET /2 HTTP/1.0\r\n\r\n", 7);
        assertEquals("/1", d.request(0).uri());
        assertEquals("/2", d.request(1).uri());
        assertSame(HttpVersion.HTTP_1_0, d.request(1).protocolVersion());
        assertEquals("abc", d.body());
        assertNull(d.failure(), "an empty line before a request line is skipped (RFC 9112 §2.2)");
    }

    @Test
    void obsTextInAValueAndHtabAreKept() {
        Decoded d = decode("GET / HTTP/1.1\r\nHost: h\r\nX-V: a\tb\u00e9\r\n\r\n");
        assertEquals("a\tb\u00e9", d.request(0).headers().get("x-v"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // chunk sizes that are not exactly 1*HEXDIG
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5_0\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n",
        // bare LF in chunk framing
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
        // chunk extensions out of grammar
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"b\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a\u0000\r\nhello\r\n0\r\n\r\n",
        // heads
        "GET / HTTP/1.1\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /  HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / http/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
        "GET / HTTP/1\r\nHost: h\r\n\r\n",
        "GET /\r\n\r\n",
        "G\u0001T / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a\u007fb HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n",
        "GET / HTTP/1.1\r\n Host: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX(y): z\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\u0000b\r\n\r\n",
        // framing
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3 3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3,3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \u000bchunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    })
    void breakingTheGrammarIsA400AndTheEndOfTheStream(String request) {
        Decoded d = decode(request + "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n");
        WireViolation v = d.failure();
        assertTrue(v != null, "refused: " + request.replace("\r", "\\r").replace("\n", "\\n"));
        assertEquals(400, v.status());
        assertTrue(d.messages().stream().noneMatch(m -> m instanceof HttpRequest r && r.uri().equals("/smuggled")),
                "nothing after the violation is decoded");
        assertTrue(d.messages().get(d.messages().size() - 1).decoderResult().isFailure(), "the failure is the last message");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "hello world",                 // a chunk line that is no size at all
        "5x",                          // a size followed by what no chunk line has
        "5;a\u0000",                  // a CTL in an extension
        "5\r\nhello\r\n0\r\nX-T: t\r\n\rc", // a bare CR on a trailer line
        "5\r\nhello\r\n0\r\n X-T: folded", // obs-fold in the trailers
        "5\r\nhello\r\n0\r\nX T",       // whitespace in a trailer name
    })
    void aBodyLineIsRefusedAsSoonAsItCannotBecomeValidNotWhenItsLfComes(String bodyStart) {
        // The head went on long ago: waiting for the LF would leave the backend holding a request
        // a strict reader has already refused.
        Decoded d = decode("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + bodyStart);
        assertTrue(d.failure() != null && d.failure().status() == 400, bodyStart);
    }

    @Test
    void aBodyLineThatMayStillBecomeValidIsWaitedFor() {
        for (String start : new String[] {"5", "5 ", "5;a=\"b", "5\r", "5\r\nhello\r\n0\r\nX-T: t", "5\r\nhello\r\n0\r\n\r"}) {
            Decoded d = decode("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + start);
            assertNull(d.failure(), start);
        }
    }

    @Test
    void theSameCaseTrickledIsRefusedToo() {
        Decoded d = decode("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", 1);
        assertEquals(400, d.failure().status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/2.0", "HTTP/3.7", "HTTP/1.2", "HTTP/0.9"})
    void aWellFormedVersionOtherThanOnePointZeroOrOneIs505(String version) {
        assertEquals(505, decode("GET / " + version + "\r\nHost: h\r\n\r\n").failure().status());
    }

    @Test
    void theHttp2PrefaceIsClosedWithoutAMessage() {
        Decoded d = decode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        assertTrue(d.messages().isEmpty());
        assertFalse(d.open());
    }

    @Test
    void limitsAre414And431() {
        assertEquals(414, decode("GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: h\r\n\r\n").failure().status());
        assertEquals(414, decode("GET /" + "a".repeat(9000), 100).failure().status(), "also before the line ends");
        assertEquals(431, decode("GET / HTTP/1.1\r\nHost: h\r\nX: " + "b".repeat(9000) + "\r\n\r\n").failure().status());
    }

    @Test
    void chunkExtensionsAreBoundedPerLineAndPerMessage() {
        String ext = ";n=" + "v".repeat(4100);
        assertEquals(400, decode("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1" + ext + "\r\nx\r\n0\r\n\r\n")
                .failure().status());
        StringBuilder many = new StringBuilder("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 40; i++) {
            many.append("1;n=").append("v".repeat(2000)).append("\r\nx\r\n");
        }
        Decoded d = decode(many.append("0\r\n\r\n").toString());
        assertEquals(400, d.failure().status(), "40 chunks with 2 KB of extensions each pass 64 KB");
    }

    @Test
    void bodiesAreSlicesOfTheInputNotCopies() {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestDecoder(8192, 8192, 64 * 1024));
        ByteBuf in = Unpooled.copiedBuffer("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", StandardCharsets.US_ASCII);
        ch.writeInbound(in);
        HttpRequest head = ch.readInbound();
        assertEquals("5", head.headers().get("content-length"));
        LastHttpContent last = ch.readInbound();
        assertInstanceOf(LastHttpContent.class, last);
        assertSame(in.unwrap() == null ? in : in.unwrap(), last.content().unwrap(), "the body is a slice of what was received");
        last.release();
        assertFalse(ch.finish());
    }

    @Test
    void valuesOfKnownFieldsAreAvailableByName() {
        Decoded d = decode("GET / HTTP/1.1\r\nhOsT: h:8080\r\nContent-Type: a/b\r\n\r\n");
        assertEquals(Map.of("host", "h:8080", "content-type", "a/b"), Map.of("host", d.request(0).headers().get("Host"),
                "content-type", d.request(0).headers().get("CONTENT-TYPE")));
    }
}
