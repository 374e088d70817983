package dev.turnpike.runtime.exchange;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.upstream.Connections;
import dev.turnpike.runtime.upstream.PooledConnection;
import dev.turnpike.runtime.upstream.UpstreamPool;
import dev.turnpike.runtime.wire.RequestFraming.Body;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.resolver.DefaultAddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pins down {@link Attempt}, one try at one backend, on an {@link EmbeddedChannel} adopted by a real
 * {@link UpstreamPool} (so the real response decoder and upstream handler sit in front of it):
 * <ul>
 *   <li>the request head goes out as the exact bytes of the {@link UpstreamHead}, after
 *       {@code connected} and before {@code headSent};</li>
 *   <li>the request body is framed as the head says (chunked or raw);</li>
 *   <li>the response reaches the owner in order, and the connection goes back to the pool only after
 *       a clean keep-alive exchange;</li>
 *   <li>what counts as a failure, and of which kind, and what does not: a close after a complete
 *       response, a second head after the end;</li>
 *   <li>the silence clock runs only while the proxy reads from the backend, never while a slow client
 *       (or a filter) has paused the reading; the write clock runs while the backend takes no bytes;</li>
 *   <li>abandoning, and connect failures.</li>
 * </ul>
 */
class AttemptTest {

    private static final Peer PEER = Peer.of("10.0.0.7", 8080);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(20);
    private static final long FAR_FUTURE = Duration.ofDays(1).toNanos();
    private static final ProxyMetrics METRICS = new ProxyMetrics(false);

    private EmbeddedChannel ch;
    private UpstreamPool pool;
    private PooledConnection conn;
    private FakeConnections connections;
    private RecordingOwner owner;

    @BeforeEach
    void setUp() {
        ch = new EmbeddedChannel();
        pool = new UpstreamPool(ch.eventLoop(), NioSocketChannel.class, DefaultAddressResolverGroup.INSTANCE,
                Duration.ofSeconds(1), Duration.ofMinutes(1), 4, null);
        conn = pool.adopt(ch, PEER);
        connections = new FakeConnections();
        connections.idle = conn;
        owner = new RecordingOwner();
    }

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
    }

    // ---- the request

    @Test
    void headGoesOutAsTheExactBytesOfTheUpstreamHeadBetweenConnectedAndHeadSent() {
        UpstreamHead head = head(request(HttpMethod.GET, "/a?x=1", "Host", "example.test", "X-Trace", "t-1"), Body.NONE, -1);
        head.setUri("/b?x=1");
        head.headers().set("X-Edited", "yes");
        head.freeze();
        Attempt attempt = attempt(head);

        attempt.start(false);

        String expected = "GET /b?x=1 HTTP/1.1\r\nHost: example.test\r\nX-Trace: t-1\r\nX-Edited: yes\r\n\r\n";
        String sent = written();
        assertEquals(expected, sent);
        ByteBuf encoded = head.encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            assertEquals(encoded.toString(US_ASCII), sent, "the wire bytes are the head's own encoding");
        } finally {
            encoded.release();
        }
        assertEquals(List.of("connected", "headSent"), owner.events);
        assertEquals(0, owner.outboundAtConnected, "connected is reported before the head is written");
        assertEquals(1, owner.outboundAtHeadSent, "headSent is reported after the head is written");
        assertTrue(attempt.reused());
        assertEquals(RequestSender.Send.DONE, attempt.send());
    }

    @Test
    void contentLengthBodyGoesOutRawAfterAHeadThatDeclaresIt() {
        UpstreamHead head = post(Body.LENGTH, 5);
        head.freeze();
        Attempt attempt = attempt(head);
        attempt.start(false);
        assertEquals("POST /upload HTTP/1.1\r\nHost: example.test\r\ncontent-length: 5\r\n\r\n", written());
        assertEquals(RequestSender.Send.BODY, attempt.send());

        attempt.writeBody(ascii("hel"));
        attempt.writeBody(ascii("lo"));
        attempt.endBody(null);

        assertEquals("hello", written());
        assertEquals(RequestSender.Send.DONE, attempt.send());
    }

    @Test
    void chunkedClientBodyIsFramedPerWriteAndEndsWithTrailers() {
        UpstreamHead head = post(Body.CHUNKED, -1);
        head.freeze();
        Attempt attempt = attempt(head);
        attempt.start(false);
        assertEquals("POST /upload HTTP/1.1\r\nHost: example.test\r\ntransfer-encoding: chunked\r\n\r\n", written());

        attempt.writeBody(ascii("hello"));
        assertEquals("5\r\nhello\r\n", written());
        attempt.writeBody(ascii("x".repeat(20)));
        assertEquals("14\r\n" + "x".repeat(20) + "\r\n", written());

        HttpHeaders trailers = new DefaultHttpHeaders().add("X-Sum", "42");
        attempt.endBody(trailers);
        assertEquals("0\r\nX-Sum: 42\r\n\r\n", written());
        assertEquals(RequestSender.Send.DONE, attempt.send());
    }

    @Test
    void bodyLengthDeclaredUnknownTurnsALengthBodyIntoChunks() {
        UpstreamHead head = post(Body.LENGTH, 5);
        head.setBodyLength(-1);
        head.freeze();
        Attempt attempt = attempt(head);
        attempt.start(false);
        String sentHead = written();
        assertTrue(sentHead.contains("\r\ntransfer-encoding: chunked\r\n"), sentHead);
        assertFalse(sentHead.toLowerCase().contains("content-length"), sentHead);

        attempt.writeBody(ascii("abc"));
        attempt.endBody(null);

        assertEquals("3\r\nabc\r\n0\r\n\r\n", written());
    }

    @Test
    void emptyWritesAndWritesAfterTheEndAreReleasedNotSent() {
        UpstreamHead head = post(Body.CHUNKED, -1);
        head.freeze();
        Attempt attempt = attempt(head);
        attempt.start(false);
        written();

        ByteBuf empty = Unpooled.directBuffer(0);
        attempt.writeBody(empty); // a zero-size chunk would end the body
        assertEquals(0, empty.refCnt());
        attempt.endBody(null);
        ByteBuf late = ascii("late");
        attempt.writeBody(late);

        assertEquals(0, late.refCnt());
        assertEquals("0\r\n\r\n", written());
    }

    // ---- the response

    @Test
    void keepAliveResponseReachesTheOwnerInOrderAndReleasesTheConnectionAfterItsLastPart() {
        Attempt attempt = startGet();

        ch.writeInbound(ascii("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel"));
        assertEquals(0, pool.idleCount(), "not released before the last part");
        assertEquals(1, pool.inUseCount());
        assertEquals(1, owner.batches, "the end of a read batch is the owner's moment to flush");
        ch.writeInbound(ascii("lo"));

        assertEquals(List.of("connected", "headSent", "head 200", "content hel", "last lo"), owner.events);
        assertEquals(1, pool.idleCount(), "a clean keep-alive exchange gives the connection back");
        assertEquals(0, pool.inUseCount());
        assertTrue(ch.isOpen());
        assertEquals(ResponseReader.Receive.COMPLETE, attempt.receive());
        assertTrue(attempt.answered());
        assertTrue(owner.failures.isEmpty());
    }

    @Test
    void theConnectionGoesBackOnlyAtTheEndOfTheReadBatch() {
        startGet();
        owner.onLast = a -> assertEquals(0, pool.idleCount(),
                "while the last part is handled (a pipelined request may start), the connection is not in the pool");

        ch.writeInbound(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));

        assertEquals(1, pool.idleCount(), "back once the read batch ended");
        assertEquals(1, owner.batches, "and the owner's batch ended with it");
    }

    @Test
    void bytesAfterTheResponseInTheSameReadKeepTheConnectionOutOfThePool() {
        startGet();

        ch.writeInbound(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad"));

        assertEquals(List.of("connected", "headSent", "head 200", "last ok"), owner.events);
        assertEquals(0, pool.idleCount(), "a backend that talks past its response is not trusted with another request");
        assertFalse(ch.isOpen());
        assertTrue(owner.failures.isEmpty(), "the response itself was whole");
    }

    @Test
    void aResetCuttingACloseDelimitedBodyIsAFailureNotAnEnd() {
        startGet();
        ch.writeInbound(ascii("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\npart"));

        ch.pipeline().fireExceptionCaught(new java.io.IOException("Connection reset by peer"));
        ch.runPendingTasks();

        assertEquals(List.of("connected", "headSent", "head 200", "content part", "failed UPSTREAM_RESET"), owner.events,
                "no clean end");
        assertEquals(1, owner.failures.size());
        assertEquals(dev.turnpike.api.ErrorKind.UPSTREAM_RESET, owner.failures.get(0).kind());
    }

    @Test
    void connectionCloseResponseDiscardsTheConnectionWithoutAFailure() {
        startGet();

        ch.writeInbound(ascii("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"));
        ch.close(); // the backend closes after its answer, as it said it would

        assertEquals(List.of("connected", "headSent", "head 200", "last ok"), owner.events);
        assertFalse(ch.isOpen());
        assertEquals(0, pool.idleCount());
        assertEquals(0, pool.inUseCount());
        assertTrue(owner.failures.isEmpty(), () -> "a complete response is no failure: " + owner.failures);
    }

    @Test
    void closeDelimitedBodyEndsWithTheCloseAndIsNoFailure() {
        startGet();

        ch.writeInbound(ascii("HTTP/1.1 200 OK\r\n\r\nhello"));
        assertEquals(List.of("connected", "headSent", "head 200", "content hello"), owner.events);
        ch.close();

        assertEquals(List.of("connected", "headSent", "head 200", "content hello", "last "), owner.events);
        assertEquals(0, pool.idleCount(), "a close-delimited body leaves nothing to reuse");
        assertTrue(owner.failures.isEmpty(), () -> "the close ended the body: " + owner.failures);
    }

    /** The "async response_filter turns a good answer into a 502" bug: a close after the end is not a failure. */
    @Test
    void closeAfterACompleteResponseWhileAResponseFilterHoldsTheReadingIsNoFailure() {
        Attempt attempt = startGet();
        owner.onHead = (a, r) -> a.pauseReading(BackendSilence.PAUSE_RESPONSE_FILTER); // an async response_filter runs

        ch.writeInbound(ascii("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"));
        assertFalse(ch.config().isAutoRead(), "reading is paused while the filter runs");
        ch.writeInbound(ascii("hello"));
        assertEquals(1, pool.idleCount());
        assertTrue(ch.config().isAutoRead(), "an idle pooled connection reads again, to see a close");

        ch.close(); // the backend closes its idle connection while the filter still runs
        attempt.resumeReading(BackendSilence.PAUSE_RESPONSE_FILTER);

        assertEquals(0, attempt.check(System.nanoTime() + FAR_FUTURE));
        assertEquals(0, pool.idleCount(), "the pool forgot the closed connection");
        assertTrue(owner.failures.isEmpty(), () -> "a complete response turned into a failure: " + owner.failures);
        assertEquals(List.of("connected", "headSent", "head 200", "last hello"), owner.events);
    }

    @Test
    void responseToHeadEndsAtItsHeadWhateverItsLengthSays() {
        UpstreamHead head = head(request(HttpMethod.HEAD, "/a", "Host", "example.test"), Body.NONE, -1);
        head.freeze();
        attempt(head).start(false);
        assertTrue(written().startsWith("HEAD /a HTTP/1.1\r\n"));

        ch.writeInbound(ascii("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"));

        assertEquals(List.of("connected", "headSent", "head 200", "last "), owner.events);
        assertEquals(1, pool.idleCount(), "the exchange is over and clean");
        assertTrue(owner.failures.isEmpty());
    }

    @Test
    void noContentResponseWithoutALengthIsReused() {
        startGet();

        ch.writeInbound(ascii("HTTP/1.1 204 No Content\r\n\r\n"));

        assertEquals(List.of("connected", "headSent", "head 204", "last "), owner.events);
        assertEquals(1, pool.idleCount());
    }

    @Test
    void answerBeforeTheUploadEndedClosesTheConnectionWithoutAFailure() {
        UpstreamHead head = post(Body.LENGTH, 10);
        head.freeze();
        Attempt attempt = attempt(head);
        attempt.start(false);
        attempt.writeBody(ascii("hello"));
        written();

        ch.writeInbound(ascii("HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n"));

        assertEquals(List.of("connected", "headSent", "head 413", "last "), owner.events);
        assertFalse(ch.isOpen(), "the backend did not read the whole request: the stream is out of step");
        assertEquals(0, pool.idleCount());
        ByteBuf rest = ascii("world");
        attempt.writeBody(rest);
        attempt.endBody(null);
        assertEquals(0, rest.refCnt());
        assertTrue(owner.failures.isEmpty(), () -> "" + owner.failures);
    }

    @Test
    void brokenChunkInTheMiddleOfTheBodyIsAnInvalidResponse() {
        startGet();

        ch.writeInbound(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n"));

        assertEquals(List.of("connected", "headSent", "head 200", "content hello", "failed INVALID_RESPONSE"),
                owner.events);
        assertFalse(ch.isOpen());
    }

    @Test
    void secondHeadAfterTheEndIsDroppedWithoutFailingTheRequest() {
        startGet();

        ch.writeInbound(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                + "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"));

        assertEquals(List.of("connected", "headSent", "head 200", "last ok"), owner.events);
        assertTrue(owner.failures.isEmpty(), () -> "" + owner.failures);
        assertFalse(ch.isOpen(), "a backend that talks with no request outstanding is not kept");
        assertEquals(0, pool.idleCount());
    }

    @Test
    void undecodableResponseIsAnInvalidResponse() {
        startGet();

        ch.writeInbound(ascii("HTTP/1.1 2x0 OK\r\n\r\n"));

        assertFailed(ErrorKind.INVALID_RESPONSE);
        assertFalse(ch.isOpen(), "a connection with a broken response is not reused");
        assertTrue(owner.heads.isEmpty());
    }

    @Test
    void contentBeforeAnyHeadIsAnInvalidResponse() {
        startGet();
        ByteBuf stray = ascii("stray");

        ch.writeInbound(new DefaultHttpContent(stray));

        assertEquals(0, stray.refCnt(), "the stray content is released");
        assertFailed(ErrorKind.INVALID_RESPONSE);
        assertFalse(ch.isOpen());
    }

    @Test
    void switchingProtocolsIsAnInvalidResponse() {
        startGet();

        ch.writeInbound(ascii("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"));

        ProxyError error = assertFailed(ErrorKind.INVALID_RESPONSE);
        assertTrue(error.message().contains("101"), error.message());
        assertTrue(owner.heads.isEmpty(), "a 101 is not a response head for the client");
    }

    @Test
    void informationalResponsesOtherThan100ReachTheOwnerBeforeTheFinalOne() {
        startGet();

        ch.writeInbound(ascii("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));

        assertEquals(List.of("connected", "headSent", "interim 103", "head 200", "last ok"), owner.events);
        assertEquals("</s.css>; rel=preload", owner.interims.get(0).headers().get("Link"));
        assertTrue(owner.failures.isEmpty());
    }

    @Test
    void continue100IsNotForwardedAndTheFinalResponseStillFollows() {
        startGet();

        ch.writeInbound(ascii("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));

        assertEquals(List.of("connected", "headSent", "head 200", "last ok"), owner.events);
        assertTrue(owner.interims.isEmpty());
        assertEquals(1, pool.idleCount());
    }

    // ---- the silence clock

    @Test
    void silenceClockStartsOnlyOnceTheRequestIsFullySent() {
        UpstreamHead head = post(Body.LENGTH, 5);
        head.freeze();
        Attempt attempt = attempt(head);
        attempt.start(false);
        attempt.writeBody(ascii("hello"));

        assertEquals(0, attempt.check(System.nanoTime() + FAR_FUTURE), "not armed while the request is being sent");
        assertTrue(owner.failures.isEmpty());
        assertTrue(owner.deadlines.isEmpty());

        long before = System.nanoTime();
        attempt.endBody(null);
        assertEquals(1, owner.deadlines.size(), "the owner is told when to look");
        assertTrue(owner.deadlines.get(0) - (before + READ_TIMEOUT.toNanos()) >= 0);
        assertNotEquals(0, attempt.check(before + READ_TIMEOUT.toNanos() - 1), "armed, not expired yet");
        assertTrue(owner.failures.isEmpty());

        assertEquals(0, attempt.check(System.nanoTime() + READ_TIMEOUT.toNanos()));

        ProxyError error = assertFailed(ErrorKind.UPSTREAM_TIMEOUT);
        assertTrue(error.message().contains(PEER.address()), error.message());
        assertTrue(error.message().contains("30000 ms"), error.message());
        assertFalse(ch.isOpen(), "a timed-out connection is closed");
    }

    @Test
    void slowClientIsNeverTheBackendsTimeout() {
        Attempt attempt = startGet();
        ch.writeInbound(ascii("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"));

        attempt.pauseReading(BackendSilence.PAUSE_CLIENT);
        assertFalse(ch.config().isAutoRead());
        assertEquals(0, attempt.check(System.nanoTime() + FAR_FUTURE), "paused: no clock runs");
        assertTrue(owner.failures.isEmpty());

        attempt.resumeReading(BackendSilence.PAUSE_CLIENT);
        assertTrue(ch.config().isAutoRead());
        attempt.check(System.nanoTime() + READ_TIMEOUT.toNanos());

        assertFailed(ErrorKind.UPSTREAM_TIMEOUT);
    }

    @Test
    void readingResumesOnlyWhenNoReasonToPauseIsLeft() {
        Attempt attempt = startGet();
        ch.writeInbound(ascii("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"));

        attempt.pauseReading(BackendSilence.PAUSE_CLIENT);
        attempt.pauseReading(BackendSilence.PAUSE_BODY_FILTER);
        attempt.resumeReading(BackendSilence.PAUSE_CLIENT);

        assertFalse(ch.config().isAutoRead(), "the body filter still holds the reading");
        assertEquals(0, attempt.check(System.nanoTime() + FAR_FUTURE));
        assertTrue(owner.failures.isEmpty());

        attempt.resumeReading(BackendSilence.PAUSE_BODY_FILTER);
        assertTrue(ch.config().isAutoRead());
        assertNotEquals(0, attempt.check(System.nanoTime()), "armed again");
    }

    @Test
    void backendThatTakesNoRequestBytesTimesOutOnTheWriteClock() {
        UpstreamHead head = post(Body.CHUNKED, -1);
        head.freeze();
        Attempt attempt = attempt(head);
        owner.inClientRead = true; // writes wait for the end of the client's read batch: nothing is flushed
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));

        attempt.start(false);

        assertFalse(attempt.writable());
        assertTrue(owner.events.contains("writable false"), () -> "" + owner.events);
        assertTrue(owner.failures.isEmpty());
        attempt.check(System.nanoTime() + WRITE_TIMEOUT.toNanos());

        ProxyError error = assertFailed(ErrorKind.UPSTREAM_TIMEOUT);
        assertTrue(error.message().contains("took no request bytes"), error.message());
        assertTrue(error.message().contains(PEER.address()), error.message());
    }

    @Test
    void backendTakingBytesAgainStopsTheWriteClock() {
        UpstreamHead head = post(Body.CHUNKED, -1);
        head.freeze();
        Attempt attempt = attempt(head);
        owner.inClientRead = true;
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
        attempt.start(false);
        assertFalse(attempt.writable());

        attempt.flush(); // the client's read batch ends: the backend takes it all

        assertTrue(attempt.writable());
        assertEquals("writable true", owner.events.get(owner.events.size() - 1));
        assertEquals(0, attempt.check(System.nanoTime() + FAR_FUTURE));
        assertTrue(owner.failures.isEmpty());
        assertTrue(written().startsWith("POST /upload HTTP/1.1\r\n"));
    }

    // ---- the connection closing under the attempt

    @Test
    void closeBeforeTheResponseHeadIsAReset() {
        startGet();

        ch.close();

        ProxyError error = assertFailed(ErrorKind.UPSTREAM_RESET);
        assertTrue(error.message().contains("before its response"), error.message());
    }

    @Test
    void closeInTheMiddleOfTheBodyIsAReset() {
        Attempt attempt = startGet();
        ch.writeInbound(ascii("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"));

        ch.close();

        ProxyError error = assertFailed(ErrorKind.UPSTREAM_RESET);
        assertTrue(error.message().contains("in the middle"), error.message());
        assertEquals(ResponseReader.Receive.BODY, attempt.receive());
        assertEquals(0, attempt.check(System.nanoTime() + FAR_FUTURE), "no clock outlives the connection");
    }

    // ---- abandoning, connecting

    @Test
    void abandonClosesTheConnectionAndLaterWritesAreReleased() {
        UpstreamHead head = post(Body.LENGTH, 5);
        head.freeze();
        Attempt attempt = attempt(head);
        attempt.start(false);
        written();

        attempt.abandon();
        assertFalse(ch.isOpen());
        ByteBuf late = ascii("hello");
        attempt.writeBody(late);
        attempt.endBody(null);

        assertEquals(0, late.refCnt(), "a write after abandon is released");
        assertEquals("", written());
        assertFalse(attempt.writable());
        assertTrue(owner.failures.isEmpty(), "abandoning is not a failure of the attempt");
        assertEquals(0, pool.idleCount());
    }

    @Test
    void abandonAfterTheResponseCompletedLeavesThePooledConnectionAlone() {
        Attempt attempt = startGet();
        ch.writeInbound(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        assertEquals(1, pool.idleCount());

        attempt.abandon(); // the request is over and lets go of its attempt

        assertTrue(ch.isOpen());
        assertEquals(1, pool.idleCount());
    }

    @Test
    void requestFailedInConnectedNeverWritesTheHead() {
        owner.onConnected = Attempt::abandon; // connected_to_upstream refused the connection
        Attempt attempt = attempt(getHead());

        attempt.start(false);

        assertEquals(List.of("connected"), owner.events, "no headSent");
        assertEquals("", written());
        assertFalse(ch.isOpen());
        assertEquals(0, attempt.check(System.nanoTime() + FAR_FUTURE));
    }

    @Test
    void abandonWhileConnectingReleasesTheNewConnectionUnused() {
        connections.idle = null;
        Promise<PooledConnection> connecting = ch.eventLoop().newPromise();
        connections.connect = connecting;
        Attempt attempt = attempt(getHead());
        attempt.start(false);

        attempt.abandon();
        connecting.setSuccess(conn);
        ch.runPendingTasks();

        assertTrue(owner.events.isEmpty(), () -> "" + owner.events);
        assertEquals("", written());
        assertEquals(1, pool.idleCount(), "clean and unused: good for the next request");
    }

    @Test
    void newConnectionOpensTheAttemptWhenTheConnectSucceeds() {
        connections.idle = null;
        connections.connect = ch.eventLoop().<PooledConnection>newPromise().setSuccess(conn);
        Attempt attempt = attempt(getHead());

        attempt.start(false);

        assertFalse(attempt.reused());
        assertEquals(List.of("connected", "headSent"), owner.events);
        assertTrue(written().startsWith("GET /a HTTP/1.1\r\n"));
    }

    @Test
    void freshStartDoesNotTakeAnIdleConnection() {
        connections.connect = ch.eventLoop().<PooledConnection>newPromise().setSuccess(conn);
        Attempt attempt = attempt(getHead());

        attempt.start(true);

        assertEquals(0, connections.polls);
        assertFalse(attempt.reused());
    }

    @Test
    void connectTimeoutIsReportedAsConnectTimeout() {
        connections.idle = null;
        connections.connect = ch.eventLoop().<PooledConnection>newPromise()
                .setFailure(new ConnectTimeoutException("connection timed out: /10.0.0.7:8080"));

        attempt(getHead()).start(false);

        ProxyError error = assertFailed(ErrorKind.CONNECT_TIMEOUT);
        assertTrue(error.message().contains(PEER.address()), error.message());
        assertEquals(List.of("failed CONNECT_TIMEOUT"), owner.events);
    }

    @Test
    void refusedConnectIsReportedAsConnectRefused() {
        connections.idle = null;
        connections.connect = ch.eventLoop().<PooledConnection>newPromise()
                .setFailure(new ConnectException("Connection refused"));

        attempt(getHead()).start(false);

        ProxyError error = assertFailed(ErrorKind.CONNECT_REFUSED);
        assertTrue(error.message().contains("refused"), error.message());
        assertEquals(List.of("failed CONNECT_REFUSED"), owner.events);
    }

    // ---- helpers

    private Attempt attempt(UpstreamHead head) {
        return new Attempt(owner, connections, METRICS, PEER, head, 1, READ_TIMEOUT, WRITE_TIMEOUT);
    }

    /** A GET on a reused connection, head written and read off the channel. */
    private Attempt startGet() {
        Attempt attempt = attempt(getHead());
        attempt.start(false);
        assertTrue(written().startsWith("GET /a HTTP/1.1\r\n"));
        return attempt;
    }

    private static UpstreamHead getHead() {
        UpstreamHead head = head(request(HttpMethod.GET, "/a", "Host", "example.test"), Body.NONE, -1);
        head.freeze();
        return head;
    }

    /** A POST whose client framed its body as {@code framing}; not frozen, so a test may declare a length. */
    private static UpstreamHead post(Body framing, long length) {
        DefaultHttpRequest r = framing == Body.CHUNKED
                ? request(HttpMethod.POST, "/upload", "Host", "example.test", "Transfer-Encoding", "chunked")
                : request(HttpMethod.POST, "/upload", "Host", "example.test", "Content-Length", Long.toString(length));
        return head(r, framing, length);
    }

    private static DefaultHttpRequest request(HttpMethod method, String uri, String... headers) {
        DefaultHttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    private static UpstreamHead head(DefaultHttpRequest r, Body framing, long length) {
        return new UpstreamHead(new RequestView(r, framing, length), framing, length);
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

    /** Everything the attempt wrote since the last call, as text; the buffers are released. */
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

    private ProxyError assertFailed(ErrorKind kind) {
        assertEquals(1, owner.failures.size(), () -> "expected one failure, got " + owner.failures);
        ProxyError error = owner.failures.get(0);
        assertEquals(kind, error.kind(), error::toString);
        return error;
    }

    /** Hands out the adopted embedded connection, idle or as the result of a connect. */
    private static final class FakeConnections implements Connections {
        PooledConnection idle;
        Future<PooledConnection> connect;
        int polls;

        @Override
        public PooledConnection pollIdle(Peer peer) {
            polls++;
            PooledConnection c = idle;
            idle = null;
            return c;
        }

        @Override
        public Future<PooledConnection> connect(Peer peer) {
            if (connect == null) {
                throw new AssertionError("no connect expected");
            }
            return connect;
        }
    }

    /** Records every callback; response parts are recorded as text and released at once. */
    private final class RecordingOwner implements AttemptOwner {
        final List<String> events = new ArrayList<>();
        final List<ProxyError> failures = new ArrayList<>();
        final List<HttpResponse> heads = new ArrayList<>();
        final List<HttpResponse> interims = new ArrayList<>();
        final List<Long> deadlines = new ArrayList<>();
        BiConsumer<Attempt, HttpResponse> onHead = (a, r) -> { };
        Consumer<Attempt> onConnected = a -> { };
        Consumer<Attempt> onLast = a -> { };
        boolean inClientRead;
        int batches;
        int outboundAtConnected = -1;
        int outboundAtHeadSent = -1;

        @Override
        public void connected(Attempt attempt) {
            events.add("connected");
            outboundAtConnected = ch.outboundMessages().size();
            onConnected.accept(attempt);
        }

        @Override
        public void headSent(Attempt attempt) {
            events.add("headSent");
            outboundAtHeadSent = ch.outboundMessages().size();
        }

        @Override
        public void interim(Attempt attempt, HttpResponse head) {
            events.add("interim " + head.status().code());
            interims.add(head);
        }

        @Override
        public void responseHead(Attempt attempt, HttpResponse head) {
            events.add("head " + head.status().code());
            heads.add(head);
            onHead.accept(attempt, head);
        }

        @Override
        public void responseContent(Attempt attempt, HttpContent part) {
            try {
                events.add((part instanceof LastHttpContent ? "last " : "content ") + part.content().toString(US_ASCII));
                if (part instanceof LastHttpContent) {
                    onLast.accept(attempt);
                }
            } finally {
                part.release();
            }
        }

        @Override
        public void readBatchDone() {
            batches++;
        }

        @Override
        public void failed(Attempt attempt, ProxyError error) {
            events.add("failed " + error.kind());
            failures.add(error);
        }

        @Override
        public void writabilityChanged(Attempt attempt, boolean writable) {
            events.add("writable " + writable);
        }

        @Override
        public void due(long deadline) {
            deadlines.add(deadline);
        }

        @Override
        public boolean inClientRead() {
            return inClientRead;
        }
    }
}
