package dev.turnpike.runtime.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The upstream side's decoder: framing by status, method and fields (RFC 9112 §6.3), and its refusals. */
class ResponseDecoderTest {

    record Decoded(List<HttpObject> messages, String body) {
        HttpResponse head() {
            return (HttpResponse) messages.get(0);
        }

        boolean ended() {
            return !messages.isEmpty() && messages.get(messages.size() - 1) instanceof LastHttpContent l
                    && l.decoderResult().isSuccess();
        }

        boolean refused() {
            return messages.stream().anyMatch(m -> m.decoderResult().isFailure());
        }
    }

    static Decoded decode(String input, boolean head, boolean close) {
        ResponseDecoder decoder = new ResponseDecoder(64 * 1024, 64 * 1024);
        decoder.expectResponseTo(head);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ch.writeInbound(Unpooled.copiedBuffer(input, StandardCharsets.ISO_8859_1));
        if (close) {
            ch.close();
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
        ch.finishAndReleaseAll();
        return new Decoded(out, body.toString());
    }

    static Decoded decode(String input) {
        return decode(input, false, false);
    }

    @Test
    void lengthChunksAndTheCloseFrameABody() {
        assertEquals("hello", decode("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").body());
        Decoded chunked = decode("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n");
        assertEquals("abc", chunked.body());
        assertTrue(chunked.ended());
        Decoded open = decode("HTTP/1.0 200 OK\r\n\r\nuntil the close", false, false);
        assertEquals("until the close", open.body());
        assertTrue(!open.ended(), "a close-delimited body is not over while the connection is open");
        assertTrue(decode("HTTP/1.0 200 OK\r\n\r\nuntil the close", false, true).ended());
    }

    @Test
    void noBodyAfterHeadOr204Or304Or1xx() {
        assertEquals("", decode("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true, false).body());
        assertTrue(decode("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true, false).ended());
        assertTrue(decode("HTTP/1.1 204 No Content\r\n\r\n").ended());
        assertTrue(decode("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n").ended());
        Decoded interim = decode("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertEquals(103, ((HttpResponse) interim.messages().get(0)).status().code());
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, interim.messages().get(1));
        assertEquals(200, ((HttpResponse) interim.messages().get(2)).status().code());
        assertEquals("ok", interim.body());
    }

    @Test
    void theUsualReasonIsNettysConstantAndAnotherIsKept() {
        assertSame(HttpResponseStatus.OK, decode("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").head().status());
        assertSame(HttpResponseStatus.OK, decode("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").head().status());
        assertEquals("Fine Thanks", decode("HTTP/1.1 200 Fine Thanks\r\nContent-Length: 0\r\n\r\n").head().status().reasonPhrase());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n",
        "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n",
        "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 3\r\nabc\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
        "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 O\u0001K\r\nContent-Length: 0\r\n\r\n",
    })
    void aMalformedResponseIsRefused(String response) {
        Decoded d = decode(response);
        assertTrue(d.refused(), response.replace("\r", "\\r").replace("\n", "\\n"));
        assertInstanceOf(WireViolation.class, d.messages().get(d.messages().size() - 1).decoderResult().cause());
    }

    @Test
    void aGoodResponseIsNotRefused() {
        assertNull(decode("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").messages().stream()
                .filter(m -> m.decoderResult().isFailure()).findFirst().orElse(null));
    }
}
