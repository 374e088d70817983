package dev.turnpike.runtime.exchange;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyError;
import dev.turnpike.runtime.wire.HopByHop;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pins down {@link ResponseWriter}, the client side of the response, on an {@link EmbeddedChannel}
 * with Netty's {@link HttpResponseEncoder}, so what it writes is checked as the bytes a client gets:
 * <ul>
 *   <li>the framing it chooses (Content-Length, chunked, or close-delimited for HTTP/1.0), the
 *       connection headers and the request id, and that the backend's Transfer-Encoding never
 *       survives;</li>
 *   <li>a body held to the length its head announced, and {@code written} reported when the last
 *       write completes;</li>
 *   <li>whole responses, cutting, informational responses, flush batching;</li>
 *   <li>the send clock: a client that takes no bytes while some wait for it times out, one that takes
 *       some is only slow.</li>
 * </ul>
 */
class ResponseWriterTest {

    private static final String REQUEST_ID = "req-42";
    private static final long SEND_TIMEOUT = Duration.ofSeconds(10).toNanos();
    private static final long FAR_FUTURE = Duration.ofDays(1).toNanos();

    private EmbeddedChannel ch;
    private Gate gate;
    private RecordingOwner owner;
    private boolean shuttingDown;

    @BeforeEach
    void setUp() {
        gate = new Gate();
        ch = new EmbeddedChannel(gate); // the writer frames its own bytes: nothing encodes after it
        owner = new RecordingOwner();
    }

    @AfterEach
    void tearDown() {
        gate.open();
        if (ch.isOpen()) {
            ch.flush(); // unflushed writes would fail (and raise) on close
        }
        ch.finishAndReleaseAll();
    }

    // ---- the head

    @Test
    void knownLengthIsSentAsContentLengthWithTheRequestId() {
        ResponseWriter w = writer(false, true);
        HttpResponse r = response(HttpResponseStatus.OK, "Content-Length", "9", "X-Request-Id", "backend-id",
                "Content-Type", "text/plain");

        w.head(r, 5, null, false, false);

        Message m = Message.parse(written());
        assertEquals("HTTP/1.1 200 OK", m.statusLine());
        assertEquals(List.of("5"), m.all("content-length"), "the declared length replaces the backend's");
        assertEquals(List.of(REQUEST_ID), m.all("x-request-id"), "the proxy's request id, only");
        assertEquals("text/plain", m.header("content-type"));
        assertNull(m.header("transfer-encoding"));
        assertNull(m.header("connection"), "an HTTP/1.1 keep-alive needs no Connection header");
        assertFalse(w.closing());
        assertEquals(ResponseWriter.State.STREAMING, w.state());
        assertEquals(200, w.status());
    }

    /** A backend's head as the strict decoder hands it up (a WireResponse, kept as its bytes). */
    private static HttpResponse decoded(String head) {
        dev.turnpike.runtime.wire.ResponseDecoder decoder = new dev.turnpike.runtime.wire.ResponseDecoder(65536, 65536);
        EmbeddedChannel in = new EmbeddedChannel(decoder);
        in.writeInbound(Unpooled.copiedBuffer(head, US_ASCII));
        HttpResponse r = in.readInbound();
        in.finishAndReleaseAll();
        HopByHop.strip(r.headers()); // as the relay does before the writer sees it
        return r;
    }

    @Test
    void anUntouchedHeadGoesOnAsItCameLessItsHopByHopLines() {
        ResponseWriter w = writer(false, true);
        HttpResponse r = decoded("HTTP/1.1 200 Fine\r\nX-Odd:  spaced\t \r\nConnection: keep-alive\r\n"
                + "content-length:5\r\nKeep-Alive: timeout=5\r\nETag: \"v\"\r\n\r\n");

        w.head(r, 5, r.headers().get("content-length"), false, true);

        assertEquals("HTTP/1.1 200 Fine\r\nX-Odd:  spaced\t \r\ncontent-length:5\r\nETag: \"v\"\r\n"
                + "X-Request-Id: " + REQUEST_ID + "\r\n\r\n", written(), "byte for byte, the proxy's field appended");
    }

    @Test
    void anUntouchedChunkedHeadGetsTheRuntimesFramingAppended() {
        ResponseWriter w = writer(false, false);
        HttpResponse r = decoded("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n");

        w.head(r, -1, null, false, true);

        assertEquals("HTTP/1.1 200 OK\r\nX-A: 1\r\ntransfer-encoding: chunked\r\nconnection: close\r\n"
                + "X-Request-Id: " + REQUEST_ID + "\r\n\r\n", written());
    }

    @Test
    void anEditedHeadOrANewLengthOrTheBackendsOwnRequestIdIsWrittenFromTheFields() {
        String head = "HTTP/1.1 200 OK\r\nX-A:  1\r\nContent-Length: 5\r\n\r\n";
        ResponseWriter edited = writer(false, true);
        HttpResponse r = decoded(head);
        edited.head(r, 5, r.headers().get("content-length"), false, false);
        assertTrue(written().startsWith("HTTP/1.1 200 OK\r\nX-A: 1\r\n"), "written from the fields: OWS normalised");

        ResponseWriter relength = writer(false, true);
        relength.head(decoded(head), 7, null, false, true);
        Message m = Message.parse(written());
        assertEquals(List.of("7"), m.all("content-length"));

        ResponseWriter ids = writer(false, true);
        HttpResponse withId = decoded("HTTP/1.1 200 OK\r\nX-Request-Id: theirs\r\nContent-Length: 0\r\n\r\n");
        ids.head(withId, 0, withId.headers().get("content-length"), false, true);
        assertEquals(List.of(REQUEST_ID), Message.parse(written()).all("x-request-id"), "replaced, not repeated");
    }

    @Test
    void aConnectionFieldThatNamesOthersIsNotPassedOn() {
        ResponseWriter w = writer(false, true);
        HttpResponse r = decoded("HTTP/1.1 200 OK\r\nConnection: X-Secret\r\nX-Secret: s\r\nContent-Length: 0\r\n\r\n");
        w.head(r, 0, r.headers().get("content-length"), false, true);
        Message m = Message.parse(written());
        assertNull(m.header("x-secret"), "a field the backend's Connection names is stripped");
    }

    @Test
    void unknownLengthIsChunkedForAnHttp11Client() {
        ResponseWriter w = writer(false, true);

        w.head(response(HttpResponseStatus.OK, "Content-Length", "7"), -1, null, false, false);
        Message m = Message.parse(written());
        assertEquals("chunked", m.header("transfer-encoding"));
        assertNull(m.header("content-length"));
        assertFalse(w.closing());

        assertTrue(w.body(ascii("hello")));
        assertEquals("5\r\nhello\r\n", written());
        assertTrue(w.end(LastHttpContent.EMPTY_LAST_CONTENT));
        assertEquals("0\r\n\r\n", written());
        assertEquals(List.of(true), owner.written);
    }

    @Test
    void aLastPartWithDataGoesOutInOneWrite() {
        ResponseWriter w = writer(false, true);
        w.head(response(HttpResponseStatus.OK, "Content-Length", "5"), 5, null, false, false);
        written();
        LastHttpContent last = new DefaultLastHttpContent(Unpooled.directBuffer().writeBytes("hello".getBytes(US_ASCII)));

        assertTrue(w.body(last), "a last part is the end of the body");
        assertEquals("hello", written());
        assertEquals(0, last.refCnt(), "the decoder's own part was written (and so released), not copied");
        assertEquals(List.of(true), owner.written);
        assertEquals(5, w.bodyBytes());
    }

    @Test
    void unknownLengthForAnHttp10ClientIsEndedByTheClose() {
        ResponseWriter w = writer(true, true);

        w.head(response(HttpResponseStatus.OK, "Content-Length", "7"), -1, null, false, false);
        Message m = Message.parse(written());
        assertEquals("HTTP/1.1 200 OK", m.statusLine(), "the proxy speaks HTTP/1.1 whatever the client does");
        assertNull(m.header("content-length"));
        assertNull(m.header("transfer-encoding"), "an HTTP/1.0 client knows no chunks");
        assertEquals("close", m.header("connection"));
        assertTrue(w.closing());

        assertTrue(w.body(ascii("hello")));
        assertEquals("hello", written(), "the body goes out raw");
    }

    @Test
    void keepAliveHttp10ClientIsToldSo() {
        ResponseWriter w = writer(true, true);

        w.head(response(HttpResponseStatus.OK), 2, null, false, false);

        Message m = Message.parse(written());
        assertEquals("keep-alive", m.header("connection"));
        assertEquals("2", m.header("content-length"));
        assertFalse(w.closing());
    }

    @Test
    void clientThatDoesNotKeepAliveGetsConnectionClose() {
        ResponseWriter w = writer(false, false);

        w.head(response(HttpResponseStatus.OK), 2, null, false, false);

        assertEquals("close", Message.parse(written()).header("connection"));
        assertTrue(w.closing());
    }

    @Test
    void shuttingDownClosesEveryConnection() {
        shuttingDown = true;
        ResponseWriter w = writer(false, true);

        w.head(response(HttpResponseStatus.OK), 2, null, false, false);

        assertEquals("close", Message.parse(written()).header("connection"));
        assertTrue(w.closing());
    }

    @Test
    void transferEncodingFromTheBackendNeverSurvives() {
        ResponseWriter known = writer(false, true);
        known.head(response(HttpResponseStatus.OK, "Transfer-Encoding", "gzip, chunked"), 5, null, false, false);
        Message m = Message.parse(written());
        assertNull(m.header("transfer-encoding"));
        assertEquals("5", m.header("content-length"));
    }

    @Test
    void transferEncodingFromTheBackendIsDroppedForABodylessResponseToo() {
        ResponseWriter w = writer(false, true);

        w.head(response(HttpResponseStatus.OK, "Transfer-Encoding", "chunked", "ETag", "\"v1\""), -1, null, true, false);
        assertTrue(w.end(LastHttpContent.EMPTY_LAST_CONTENT), "a bodyless response ends at once");

        Message m = Message.parse(written());
        assertNull(m.header("transfer-encoding"));
        assertEquals("\"v1\"", m.header("etag"));
        assertEquals("", m.rest());
        assertEquals(List.of(true), owner.written);
    }

    // ---- the body

    @Test
    void bodyPastTheAnnouncedLengthIsRefusedAndReleased() {
        ResponseWriter w = writer(false, true);
        w.head(response(HttpResponseStatus.OK), 3, null, false, false);
        written();
        ByteBuf data = ascii("hello");

        assertFalse(w.body(data));

        assertEquals(0, data.refCnt());
        assertEquals("", written());
    }

    @Test
    void endShortOfTheAnnouncedLengthIsRefused() {
        ResponseWriter w = writer(false, true);
        w.head(response(HttpResponseStatus.OK), 5, null, false, false);
        assertTrue(w.body(ascii("hel")));

        assertFalse(w.end(LastHttpContent.EMPTY_LAST_CONTENT));

        assertTrue(owner.written.isEmpty());
        assertEquals(ResponseWriter.State.STREAMING, w.state());
    }

    @Test
    void matchingLengthEndsTheResponseAndReportsWrittenWhenTheWriteCompletes() {
        ResponseWriter w = writer(false, true);
        w.head(response(HttpResponseStatus.OK), 5, null, false, false);
        assertTrue(w.body(ascii("hello")));
        gate.holding = true; // the client has not taken the last part yet

        assertTrue(w.end(LastHttpContent.EMPTY_LAST_CONTENT));
        assertEquals(ResponseWriter.State.ENDING, w.state());
        assertTrue(owner.written.isEmpty(), "not written before the write completes");
        assertEquals(1, owner.deadlines.size(), "a pending last write is watched by the send clock");

        gate.open();

        assertEquals(List.of(true), owner.written);
        assertEquals(ResponseWriter.State.DONE, w.state());
        assertEquals(5, w.bodyBytes());
        String out = written();
        assertTrue(out.endsWith("\r\n\r\nhello"), out);
    }

    @Test
    void fullResponseIsWrittenWholeAndReported() {
        ResponseWriter w = writer(false, true);
        DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY,
                ascii("bad gateway"));
        res.headers().set("Content-Length", "11");

        w.full(res, false);

        Message m = Message.parse(written());
        assertEquals("HTTP/1.1 502 Bad Gateway", m.statusLine());
        assertEquals(REQUEST_ID, m.header("x-request-id"));
        assertEquals("bad gateway", m.rest());
        assertEquals(List.of(true), owner.written);
        assertEquals(ResponseWriter.State.DONE, w.state());
        assertEquals(502, w.status());
        assertEquals(11, w.bodyBytes());
    }

    @Test
    void fullResponseToAHeadRequestCountsNoBodyBytes() {
        ResponseWriter w = writer(false, true);
        DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND,
                Unpooled.EMPTY_BUFFER);
        res.headers().set("Content-Length", "9");

        w.full(res, true);

        assertEquals(0, w.bodyBytes());
        assertEquals("9", Message.parse(written()).header("content-length"));
        assertEquals(List.of(true), owner.written);
    }

    @Test
    void cutClosesTheConnection() {
        ResponseWriter w = writer(false, true);
        w.head(response(HttpResponseStatus.OK), 10, null, false, false);
        w.body(ascii("hello"));

        w.cut();

        assertEquals(ResponseWriter.State.CUT, w.state());
        assertFalse(ch.isOpen());
        assertTrue(w.closing());
        w.cut(); // a second cut changes nothing
        assertEquals(ResponseWriter.State.CUT, w.state());
    }

    // ---- informational responses

    @Test
    void interimGoesToAnHttp11ClientWithoutHopByHopHeaders() {
        ResponseWriter w = writer(false, true);

        w.interim(response(HttpResponseStatus.valueOf(103, "Early Hints"), "Link", "</s.css>; rel=preload",
                "Connection", "close"));

        Message m = Message.parse(written());
        assertEquals("HTTP/1.1 103 Early Hints", m.statusLine());
        assertEquals("</s.css>; rel=preload", m.header("link"));
        assertNull(m.header("connection"));
        assertEquals(ResponseWriter.State.NOT_STARTED, w.state(), "the final response is still to come");

        w.head(response(HttpResponseStatus.OK), 0, null, false, false);
        assertEquals("HTTP/1.1 200 OK", Message.parse(written()).statusLine());
    }

    @Test
    void interimIsNotSentToAnHttp10Client() {
        ResponseWriter w = writer(true, true);

        w.interim(response(HttpResponseStatus.valueOf(103, "Early Hints"), "Link", "</s.css>"));

        assertEquals("", written());
        assertEquals(ResponseWriter.State.NOT_STARTED, w.state());
    }

    // ---- batching

    @Test
    void batchedWritesAreFlushedOnlyWhenTheBatchEnds() {
        ResponseWriter w = writer(false, true);
        w.batch(true);

        w.head(response(HttpResponseStatus.OK), 5, null, false, false);
        w.body(ascii("hello"));
        assertTrue(ch.outboundMessages().isEmpty(), "nothing is flushed during a batch");

        w.batch(false);

        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 200 OK\r\n"), out);
        assertTrue(out.endsWith("\r\n\r\nhello"), out);
    }

    // ---- the send clock

    @Test
    void clientThatTakesNothingTimesOut() {
        ResponseWriter w = unwritableStreamingWriter();
        long before = System.nanoTime();

        w.writabilityChanged(false);

        assertEquals(1, owner.deadlines.size());
        assertTrue(w.check(before + SEND_TIMEOUT - 1) != 0, "armed, not expired yet");
        assertTrue(owner.timeouts.isEmpty());

        assertEquals(0, w.check(System.nanoTime() + SEND_TIMEOUT));

        assertEquals(1, owner.timeouts.size());
        ProxyError error = owner.timeouts.get(0);
        assertEquals(ErrorKind.CLIENT_TIMEOUT, error.kind());
        assertTrue(error.message().contains("server.send_timeout"), error.message());
    }

    @Test
    void clientThatTakesSomeBytesIsSlowNotGone() {
        ResponseWriter w = unwritableStreamingWriter();
        w.writabilityChanged(false);
        long armed = System.nanoTime();

        w.batch(false); // the client takes everything pending...
        written();
        w.batch(true);
        w.body(ascii("x")); // ...and a little more waits for it
        assertTrue(pendingBytes() > 0);

        long next = w.check(armed + SEND_TIMEOUT);

        assertTrue(owner.timeouts.isEmpty(), "progress restarts the clock");
        assertEquals(armed + 2 * SEND_TIMEOUT, next, "the wait starts over at the check that saw progress");

        w.check(armed + 2 * SEND_TIMEOUT); // no progress since
        assertEquals(1, owner.timeouts.size());
        assertEquals(ErrorKind.CLIENT_TIMEOUT, owner.timeouts.get(0).kind());
    }

    @Test
    void clientWritableAgainDisarmsTheSendClock() {
        ResponseWriter w = unwritableStreamingWriter();
        w.writabilityChanged(false);

        w.writabilityChanged(true);

        assertEquals(0, w.check(System.nanoTime() + FAR_FUTURE));
        assertTrue(owner.timeouts.isEmpty());
    }

    @Test
    void beforeTheResponseStartsTheSendClockCountsOnlyBytesThatWait() {
        ResponseWriter w = writer(false, true);

        w.writabilityChanged(false); // an interim response may have filled the channel

        assertEquals(1, owner.deadlines.size(), "the clock runs: the backend's reading is paused meanwhile");
        assertEquals(0, w.check(System.nanoTime() + FAR_FUTURE), "nothing waits for the client: nothing to blame");
        assertTrue(owner.timeouts.isEmpty());
    }

    // ---- helpers

    /** A chunked response under way, batched so nothing is flushed, past a tiny high-water mark. */
    private ResponseWriter unwritableStreamingWriter() {
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 2));
        ResponseWriter w = writer(false, true);
        w.batch(true);
        w.head(response(HttpResponseStatus.OK), -1, null, false, false);
        w.body(ascii("hello"));
        assertFalse(ch.isWritable());
        assertFalse(w.writable());
        return w;
    }

    private ResponseWriter writer(boolean http10, boolean keepAlive) {
        return new ResponseWriter(ch, owner, http10, keepAlive, () -> shuttingDown, REQUEST_ID, SEND_TIMEOUT);
    }

    private long pendingBytes() {
        return ch.unsafe().outboundBuffer().totalPendingWriteBytes();
    }

    private static HttpResponse response(HttpResponseStatus status, String... headers) {
        DefaultHttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    /**
     * The text in a new unpooled direct buffer: unlike {@code Unpooled.copiedBuffer}'s heap buffers,
     * direct ones are tracked by Netty's leak detector, so a buffer this test forgets fails the build.
     */
    private static ByteBuf ascii(String s) {
        ByteBuf b = Unpooled.directBuffer(s.length());
        b.writeCharSequence(s, US_ASCII);
        return b;
    }

    /** Everything flushed to the client since the last call, as text; the buffers are released. */
    private String written() {
        StringBuilder sb = new StringBuilder();
        for (Object m; (m = ch.readOutbound()) != null; ) {
            ByteBuf b = assertInstanceOf(ByteBuf.class, m);
            try {
                sb.append(b.toString(US_ASCII));
            } finally {
                b.release();
            }
        }
        return sb.toString();
    }

    /** A response as the client reads it: status line, headers by lower-case name, and what follows. */
    private record Message(String statusLine, Map<String, List<String>> headers, String rest) {
        static Message parse(String text) {
            int end = text.indexOf("\r\n\r\n");
            assertTrue(end >= 0, () -> "no complete head in: " + text);
            String[] lines = text.substring(0, end).split("\r\n");
            Map<String, List<String>> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.computeIfAbsent(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(lines[i].substring(colon + 1).trim());
            }
            return new Message(lines[0], headers, text.substring(end + 4));
        }

        List<String> all(String name) {
            return headers.getOrDefault(name, List.of());
        }

        String header(String name) {
            List<String> values = headers.get(name);
            return values == null ? null : String.join(", ", values);
        }
    }

    /** Holds what is written while {@link #holding}, as a client that has not read it yet. */
    private static final class Gate extends ChannelOutboundHandlerAdapter {
        boolean holding;
        private ChannelHandlerContext ctx;
        private final List<Object> held = new ArrayList<>();
        private final List<ChannelPromise> promises = new ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (holding) {
                this.ctx = ctx;
                held.add(msg);
                promises.add(promise);
            } else {
                ctx.write(msg, promise);
            }
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            if (!holding) {
                ctx.flush();
            }
        }

        void open() {
            holding = false;
            if (held.isEmpty()) {
                return;
            }
            for (int i = 0; i < held.size(); i++) {
                ctx.write(held.get(i), promises.get(i));
            }
            held.clear();
            promises.clear();
            ctx.flush();
        }
    }

    private static final class RecordingOwner implements ResponseWriter.Owner {
        final List<Boolean> written = new ArrayList<>();
        final List<ProxyError> timeouts = new ArrayList<>();
        final List<Long> deadlines = new ArrayList<>();

        @Override
        public void written(boolean ok) {
            written.add(ok);
        }

        @Override
        public void clientTimedOut(ProxyError error) {
            timeouts.add(error);
        }

        @Override
        public void due(long deadline) {
            deadlines.add(deadline);
        }
    }
}
