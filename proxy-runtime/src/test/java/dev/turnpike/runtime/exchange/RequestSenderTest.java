package dev.turnpike.runtime.exchange;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.wire.RequestFraming.Body;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RequestSender} writing on an {@link EmbeddedChannel}: the head, then the body framed as the
 * head says, each write flushed at once outside a client read batch and once at its end inside one.
 */
class RequestSenderTest {

    private final EmbeddedChannel ch = new EmbeddedChannel();
    private final AtomicBoolean inClientRead = new AtomicBoolean();

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
    }

    private static UpstreamHead head(Body framing, long length, String... headers) {
        DefaultHttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return new UpstreamHead(new RequestView(r, framing, length), framing, length);
    }

    private String written() {
        StringBuilder sb = new StringBuilder();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            sb.append(b.toString(US_ASCII));
            b.release();
        }
        return sb.toString();
    }

    private static ByteBuf text(String s) {
        ByteBuf b = Unpooled.directBuffer(s.length());
        b.writeCharSequence(s, US_ASCII);
        return b;
    }

    @Test
    void aHeadWithoutABodyIsTheWholeRequest() {
        RequestSender s = new RequestSender(head(Body.NONE, -1, "host", "b"), inClientRead::get);
        s.sendHead(ch);
        assertEquals(RequestSender.Send.DONE, s.state());
        assertTrue(written().startsWith("POST /upload HTTP/1.1\r\n"));
        assertFalse(s.end(null), "nothing to end");
    }

    @Test
    void aLengthBodyGoesAsIsAndItsEndWritesNothingMore() {
        RequestSender s = new RequestSender(head(Body.LENGTH, 5, "content-length", "5"), inClientRead::get);
        s.sendHead(ch);
        assertEquals(RequestSender.Send.BODY, s.state());
        written();
        s.body(text("hel"));
        s.body(text("lo"));
        assertTrue(s.end(null));
        assertEquals(RequestSender.Send.DONE, s.state());
        assertEquals("hello", written());
    }

    @Test
    void aChunkedBodyIsFramedInChunksAndEndsWithItsTrailers() {
        RequestSender s = new RequestSender(head(Body.CHUNKED, -1, "transfer-encoding", "chunked"), inClientRead::get);
        s.sendHead(ch);
        written();
        s.body(text("abc"));
        s.body(Unpooled.EMPTY_BUFFER); // an empty piece would end the body early: dropped
        HttpHeaders trailers = new DefaultHttpHeaders().add("x-sum", "1");
        assertTrue(s.end(trailers));
        assertEquals("3\r\nabc\r\n0\r\nx-sum: 1\r\n\r\n", written());
    }

    @Test
    void bodyBytesAfterTheEndAreReleasedNotWritten() {
        RequestSender s = new RequestSender(head(Body.LENGTH, 1, "content-length", "1"), inClientRead::get);
        s.sendHead(ch);
        s.body(text("x"));
        s.end(null);
        written();
        ByteBuf late = text("late");
        s.body(late);
        assertEquals(0, late.refCnt());
        assertNull(ch.readOutbound());
    }

    @Test
    void duringAClientReadBatchWritesWaitForOneFlush() {
        RequestSender s = new RequestSender(head(Body.LENGTH, 2, "content-length", "2"), inClientRead::get);
        inClientRead.set(true);
        s.sendHead(ch);
        s.body(text("ab"));
        assertNull(ch.readOutbound(), "nothing flushed while the batch runs");
        s.flush();
        assertTrue(written().endsWith("\r\n\r\nab"));
        s.flush(); // nothing pending: no empty flush of its own to see, and no failure
        assertNull(ch.readOutbound());
    }
}
