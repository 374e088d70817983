package dev.turnpike.runtime.exchange;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Response;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.wire.RequestFraming.Body;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pins down {@link RequestBody}, the request body on its way from the client to the current
 * attempt, with a recording owner and sink (no channel, no filters):
 * <ul>
 *   <li>parts that arrive before an attempt can take them are held, in order, and the last part
 *       ends the body;</li>
 *   <li>the client is paused while too much is held or the attempt takes nothing, and resumed when
 *       that is over;</li>
 *   <li>what went out is kept (within the limit) for a retry, and dropped when no retry can come;</li>
 *   <li>{@code server.max_body_size}, {@code server.request_body_timeout} (which runs only while the
 *       proxy reads, and after a 100 Continue), dropping the rest of an answered request, and a body
 *       that does not match the length declared for it upstream.</li>
 * </ul>
 */
class RequestBodyTest {

    private static final long TIMEOUT = Duration.ofSeconds(15).toNanos();
    private static final long FAR_FUTURE = Duration.ofDays(1).toNanos();

    private RecordingOwner owner;
    private RequestBody body;

    @BeforeEach
    void setUp() {
        owner = new RecordingOwner();
    }

    @AfterEach
    void tearDown() {
        if (body != null) {
            body.release(); // lets go of whatever is still held or kept
        }
    }

    // ---- holding and delivering

    @Test
    void partsBeforeAttachAreHeldAndDeliveredInOrder() {
        body = body(true, 10, 0, false, 0, false);
        RecordingSink sink = new RecordingSink(lengthHead(10));

        body.onPart(part("hello"));
        assertFalse(body.complete());
        assertEquals(0, owner.received);
        body.onPart(last("world", "X-Checksum", "abc"));
        assertTrue(body.complete(), "all of it has arrived");
        assertEquals(1, owner.received, "the owner hears the body is in (the backends' budget starts)");
        assertFalse(body.fullySent(), "but none of it went anywhere yet");

        body.attach(sink);

        assertEquals(List.of("hello", "world"), sink.writes);
        assertEquals(1, sink.ends);
        assertEquals("abc", sink.trailers.get("X-Checksum"));
        assertTrue(body.fullySent());
        assertEquals(10, body.receivedBytes());
    }

    @Test
    void partsAfterAttachGoStraightToTheSink() {
        body = body(true, 6, 0, false, 0, false);
        RecordingSink sink = new RecordingSink(lengthHead(6));
        body.attach(sink);

        body.onPart(part("abc"));
        assertEquals(List.of("abc"), sink.writes);
        assertFalse(body.fullySent());
        body.onPart(last("def"));

        assertEquals(List.of("abc", "def"), sink.writes);
        assertEquals(1, sink.ends);
        assertNull(sink.trailers, "no trailers, none passed on");
        assertTrue(body.fullySent());
        assertTrue(body.complete());
    }

    @Test
    void requestWithoutABodyEndsAtOnceOnAttach() {
        body = body(false, -1, 0, false, 0, false);
        RecordingSink sink = new RecordingSink(lengthHead(0));

        body.attach(sink);

        assertTrue(body.complete());
        assertTrue(body.fullySent());
        assertEquals(1, sink.ends);
        assertTrue(sink.writes.isEmpty());
    }

    // ---- pausing the client

    @Test
    void holdingMoreThanTheLimitPausesTheClientUntilAttach() {
        body = body(true, -1, 0, false, 0, false);
        RecordingSink sink = new RecordingSink(chunkedHead());

        body.onPart(part("a".repeat((int) RequestBody.MAX_HELD_BYTES)));
        assertEquals(List.of(), owner.pauses, "at the limit, not over it");
        body.onPart(part("b"));
        assertEquals(List.of(true), owner.pauses);

        body.attach(sink);

        assertEquals(List.of(true, false), owner.pauses);
        assertEquals(RequestBody.MAX_HELD_BYTES + 1, sink.bytes);
    }

    @Test
    void sinkThatTakesNothingPausesTheClientUntilItIsWritable() {
        body = body(true, -1, 0, false, 0, false);
        RecordingSink sink = new RecordingSink(chunkedHead());
        sink.writable = false;

        body.attach(sink);
        assertEquals(List.of(true), owner.pauses);
        body.sinkWritable(); // still not writable: nothing changes
        assertEquals(List.of(true), owner.pauses);

        sink.writable = true;
        body.sinkWritable();

        assertEquals(List.of(true, false), owner.pauses);
    }

    // ---- keeping for a retry

    @Test
    void keptBodyGoesAgainToTheNextAttempt() {
        body = body(true, 6, 0, true, 100, false);
        RecordingSink first = new RecordingSink(lengthHead(6));
        body.attach(first);
        body.onPart(part("abc"));
        body.onPart(last("def"));
        assertEquals(List.of("abc", "def"), first.writes);

        body.detach();
        assertTrue(body.kept());
        RecordingSink second = new RecordingSink(lengthHead(6));
        body.attach(second);

        assertEquals(List.of("abc", "def"), second.writes, "the retry sends the same bytes");
        assertEquals(1, second.ends);
        assertTrue(body.fullySent());
    }

    @Test
    void bodyPastTheKeepLimitIsNotKept() {
        body = body(true, 6, 0, true, 4, false);
        body.attach(new RecordingSink(lengthHead(6)));
        assertTrue(body.kept(), "nothing went out yet");

        body.onPart(part("abc"));
        assertTrue(body.kept());
        body.onPart(part("def"));

        assertFalse(body.kept(), "6 bytes went out, 4 may be kept");
    }

    @Test
    void notKeepingMeansNotKeptOnceAnythingWentOut() {
        body = body(true, 6, 0, false, 100, false);
        body.attach(new RecordingSink(lengthHead(6)));
        assertTrue(body.kept());

        body.onPart(part("abc"));

        assertFalse(body.kept());
    }

    @Test
    void stopKeepingDropsWhatWasKept() {
        body = body(true, -1, 0, true, 100, false);
        body.attach(new RecordingSink(chunkedHead()));
        body.onPart(part("abc"));

        body.stopKeeping();
        assertFalse(body.kept());
        body.detach();
        RecordingSink second = new RecordingSink(chunkedHead());
        body.attach(second);
        body.onPart(last("d"));

        assertEquals(List.of("d"), second.writes, "nothing kept is sent again");
    }

    @Test
    void aResendOfAnEmptyBodyThatWasNotKeptStillEndsIt() {
        body = body(true, 0, 0, false, 0, false); // Content-Length: 0, nothing kept (no failure hooks)
        RecordingSink first = new RecordingSink(lengthHead(0));
        body.attach(first);
        body.onPart(last(""));
        assertEquals(1, first.ends);
        assertTrue(body.kept(), "no body byte went out: a resend loses nothing");

        body.detach();
        RecordingSink second = new RecordingSink(lengthHead(0));
        body.attach(second);

        assertEquals(1, second.ends, "the new attempt's message is ended too, or its backend would wait");
        assertTrue(body.fullySent());
    }

    @Test
    void aBodyThatComesOutLongerThanTheClientsLengthFailsEvenUndeclared() {
        body = body(true, 5, 0, false, 0, false);
        RecordingSink sink = new RecordingSink(lengthHead(5));
        body.attach(sink);

        body.onPart(last("hello world")); // as if a filter had grown it without declaring a length

        assertEquals(1, owner.failures.size(), "the backend would read the rest as a request of its own");
        assertEquals(ErrorKind.PLUGIN, owner.failures.get(0).kind());
        assertTrue(sink.writes.isEmpty(), "nothing past the length went out");
    }

    @Test
    void aKeptBodyReplayedUnderAShorterLengthFailsTheRequest() {
        body = body(true, -1, 0, true, 100, false);
        body.attach(new RecordingSink(chunkedHead()));
        body.onPart(last("hello"));
        body.detach();

        body.attach(new RecordingSink(lengthHead(3))); // the retry's head announces another length

        assertEquals(1, owner.failures.size());
    }

    // ---- limits

    @Test
    void chunkedBodyGrowingPastMaxBodyIsTooLarge() {
        body = body(true, -1, 8, false, 0, false);
        RecordingSink sink = new RecordingSink(chunkedHead());
        body.attach(sink);
        body.onPart(part("12345678"));
        assertTrue(owner.tooLarge.isEmpty(), "at the limit is fine");
        HttpContent over = part("9");

        body.onPart(over);

        assertEquals(List.of(8L), owner.tooLarge);
        assertEquals(0, over.refCnt(), "the part past the limit is released");
        assertEquals(List.of("12345678"), sink.writes);
    }

    // ---- the body timeout

    @Test
    void silentClientTimesOut() {
        body = body(true, 10, 0, false, 0, false);
        assertEquals(1, owner.deadlines.size(), "the clock runs from the start");

        body.check(System.nanoTime() + TIMEOUT);

        assertEquals(1, owner.timeouts.size());
        ProxyError error = owner.timeouts.get(0);
        assertEquals(ErrorKind.CLIENT_TIMEOUT, error.kind());
        assertTrue(error.message().contains("server.request_body_timeout"), error.message());
        assertEquals(0, body.check(System.nanoTime() + FAR_FUTURE), "reported once");
        assertEquals(1, owner.timeouts.size());
    }

    @Test
    void clientThatSendsIsNotTimedOutBeforeItsDeadline() {
        body = body(true, 10, 0, false, 0, false);
        body.attach(new RecordingSink(lengthHead(10)));
        long before = System.nanoTime();

        body.onPart(part("hello"));

        assertTrue(body.check(before + TIMEOUT - 1) != 0, "a part restarted the clock");
        assertTrue(owner.timeouts.isEmpty());
    }

    @Test
    void pausedClientIsNotTimedOut() {
        body = body(true, -1, 0, false, 0, false);
        body.onPart(part("a".repeat((int) RequestBody.MAX_HELD_BYTES + 1)));
        assertEquals(List.of(true), owner.pauses);

        assertEquals(0, body.check(System.nanoTime() + FAR_FUTURE), "not reading is the proxy's doing");
        assertTrue(owner.timeouts.isEmpty());

        body.attach(new RecordingSink(chunkedHead()));
        body.check(System.nanoTime() + TIMEOUT);
        assertEquals(1, owner.timeouts.size(), "reading again: the clock runs again");
    }

    @Test
    void clientWaitingForContinueIsTimedOutOnlyAfterTheContinueWentOut() {
        body = body(true, 10, 0, false, 0, true);
        assertTrue(owner.deadlines.isEmpty());
        assertEquals(0, body.check(System.nanoTime() + FAR_FUTURE));
        assertTrue(owner.timeouts.isEmpty());

        body.continueSent();

        assertEquals(1, owner.deadlines.size());
        body.check(System.nanoTime() + TIMEOUT);
        assertEquals(1, owner.timeouts.size());
        assertEquals(ErrorKind.CLIENT_TIMEOUT, owner.timeouts.get(0).kind());
    }

    @Test
    void completeBodyHasNoTimeout() {
        body = body(true, 5, 0, false, 0, false);
        body.attach(new RecordingSink(lengthHead(5)));

        body.onPart(last("hello"));

        assertEquals(0, body.check(System.nanoTime() + FAR_FUTURE));
        assertTrue(owner.timeouts.isEmpty());
    }

    // ---- answered without the body

    @Test
    void smallRemainderIsReadAndDropped() {
        body = body(true, 100, 0, false, 0, false);
        HttpContent held = part("hello");
        body.onPart(held);

        assertTrue(body.discard(true));

        assertEquals(RequestBody.State.DISCARDING, body.state());
        assertEquals(0, held.refCnt(), "what was held is released");
        HttpContent more = part("more");
        body.onPart(more);
        assertEquals(0, more.refCnt());
        assertEquals(0, owner.discarded);
        HttpContent end = last("end");
        body.onPart(end);
        assertEquals(0, end.refCnt());
        assertEquals(1, owner.discarded);
        assertTrue(body.complete());
    }

    @Test
    void largeRemainderIsNotWorthReading() {
        body = body(true, 1_000_000, 0, false, 0, false);
        body.onPart(part("hello"));

        assertFalse(body.discard(true));
        assertEquals(RequestBody.State.RECEIVING, body.state());
    }

    @Test
    void aConnectionThatClosesAnywayIsNotReadFrom() {
        body = body(true, 100, 0, false, 0, false);
        body.onPart(part("hello"));

        assertFalse(body.discard(false), "the connection closes after the answer: nothing to keep in step");
        assertEquals(RequestBody.State.RECEIVING, body.state());
        assertEquals(0, body.check(System.nanoTime() + FAR_FUTURE), "no body timeout for a body nobody reads");
    }

    @Test
    void chunkedRemainderOfUnknownSizeIsNotRead() {
        body = body(true, -1, 0, false, 0, false);

        assertFalse(body.discard(true));
    }

    @Test
    void clientStillWaitingForContinueIsNotReadFrom() {
        body = body(true, 10, 0, false, 0, true);

        assertFalse(body.discard(true), "a client waiting for 100 Continue may never send");
    }

    @Test
    void discardAfterTheWholeBodyArrivedNeedsNothingMore() {
        body = body(true, 5, 0, false, 0, false);
        body.onPart(last("hello"));

        assertTrue(body.discard(true));
        assertEquals(RequestBody.State.COMPLETE, body.state());
        assertEquals(0, owner.discarded);
    }

    // ---- the declared length

    @Test
    void bodyLongerThanTheDeclaredLengthFailsTheRequest() {
        body = body(true, 5, 0, false, 0, false);
        UpstreamHead head = lengthHead(5);
        head.setBodyLength(3);
        head.freeze();
        RecordingSink sink = new RecordingSink(head);
        body.attach(sink);

        body.onPart(last("hello"));

        assertDeclaredLengthFailure();
        assertTrue(sink.writes.isEmpty(), "nothing past the declared length goes out");
        assertEquals(0, sink.ends);
    }

    @Test
    void bodyShorterThanTheDeclaredLengthFailsTheRequestAtItsEnd() {
        body = body(true, 5, 0, false, 0, false);
        UpstreamHead head = lengthHead(5);
        head.setBodyLength(10);
        head.freeze();
        RecordingSink sink = new RecordingSink(head);
        body.attach(sink);

        body.onPart(part("hel"));
        assertTrue(owner.failures.isEmpty(), "short so far is fine");
        body.onPart(last("lo"));

        assertDeclaredLengthFailure();
        assertEquals(List.of("hel"), sink.writes);
        assertEquals(0, sink.ends, "a short body is not ended as if it were whole");
    }

    // ---- helpers

    private RequestBody body(boolean hasBody, long clientLength, long maxBody, boolean keeping, int keepLimit,
                             boolean expectContinue) {
        return new RequestBody(owner, hasBody, clientLength, maxBody, keeping, keepLimit, TIMEOUT, expectContinue);
    }

    private void assertDeclaredLengthFailure() {
        assertEquals(1, owner.failures.size(), () -> "" + owner.failures);
        ProxyError error = owner.failures.get(0);
        assertEquals(ErrorKind.PLUGIN, error.kind());
        assertEquals("request_body_filter", error.phase());
    }

    /** The upstream head of a POST whose client sent a Content-Length; not frozen. */
    private static UpstreamHead lengthHead(long length) {
        DefaultHttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
        r.headers().set("Host", "example.test").set("Content-Length", length);
        Body framing = length == 0 ? Body.NONE : Body.LENGTH;
        return new UpstreamHead(new RequestView(r, framing, length), framing, length);
    }

    private static UpstreamHead chunkedHead() {
        DefaultHttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload");
        r.headers().set("Host", "example.test").set("Transfer-Encoding", "chunked");
        UpstreamHead head = new UpstreamHead(new RequestView(r, Body.CHUNKED, -1), Body.CHUNKED, -1);
        head.freeze();
        return head;
    }

    private static HttpContent part(String text) {
        return new DefaultHttpContent(ascii(text));
    }

    private static HttpContent last(String text, String... trailers) {
        DefaultLastHttpContent last = new DefaultLastHttpContent(ascii(text));
        for (int i = 0; i < trailers.length; i += 2) {
            last.trailingHeaders().add(trailers[i], trailers[i + 1]);
        }
        return last;
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

    /** Records what the body sends, as text (each buffer released at once); writability is the test's. */
    private static final class RecordingSink implements BodySink {
        private final UpstreamHead head;
        final List<String> writes = new ArrayList<>();
        long bytes;
        int ends;
        HttpHeaders trailers;
        boolean writable = true;

        RecordingSink(UpstreamHead head) {
            this.head = head;
        }

        @Override
        public UpstreamHead head() {
            return head;
        }

        @Override
        public void writeBody(ByteBuf data) {
            try {
                bytes += data.readableBytes();
                writes.add(data.toString(US_ASCII));
            } finally {
                data.release();
            }
        }

        @Override
        public void endBody(HttpHeaders trailers) {
            ends++;
            this.trailers = trailers;
        }

        @Override
        public boolean writable() {
            return writable;
        }
    }

    private static final class RecordingOwner implements RequestBody.Owner {
        final List<Boolean> pauses = new ArrayList<>();
        final List<Long> deadlines = new ArrayList<>();
        final List<Long> tooLarge = new ArrayList<>();
        final List<ProxyError> timeouts = new ArrayList<>();
        final List<ProxyError> failures = new ArrayList<>();
        int discarded;
        int received;

        @Override
        public void pauseClient(boolean pause) {
            pauses.add(pause);
        }

        @Override
        public void due(long deadline) {
            deadlines.add(deadline);
        }

        @Override
        public void tooLarge(long limit) {
            tooLarge.add(limit);
        }

        @Override
        public void clientTimedOut(ProxyError error) {
            timeouts.add(error);
        }

        @Override
        public void refused(Response response, ChainLink by) {
            throw new AssertionError("no filters run here");
        }

        @Override
        public void fail(ProxyError error) {
            failures.add(error);
        }

        @Override
        public void bodyReceived() {
            received++;
        }

        @Override
        public void discarded() {
            discarded++;
        }

        @Override
        public boolean over() {
            return false;
        }
    }
}
