package dev.turnpike.runtime.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.log.AccessLog;
import dev.turnpike.runtime.wire.RequestFraming.Body;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

/** {@link IncomingHead}: what a client's head says about its body, its expectation and its method. */
class IncomingHeadTest {

    private static DefaultHttpRequest request(HttpVersion version, HttpMethod method, String... headers) {
        DefaultHttpRequest r = new DefaultHttpRequest(version, method, "/");
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    @Test
    void aLengthBodyWithAnExpectationWaitsForA100() {
        IncomingHead h = IncomingHead.of(request(HttpVersion.HTTP_1_1, HttpMethod.PUT,
                "content-length", "12", "expect", "100-Continue"));
        assertEquals(Body.LENGTH, h.framing());
        assertEquals(12, h.contentLength());
        assertTrue(h.hasBody());
        assertTrue(h.expectContinue());
        assertFalse(h.http10());
    }

    @Test
    void noExpectationHoldsWithoutABodyOrFromAnHttp10Client() {
        assertFalse(IncomingHead.of(request(HttpVersion.HTTP_1_1, HttpMethod.PUT, "content-length", "0", "expect", "100-continue"))
                .expectContinue(), "an empty body is not waited for");
        assertFalse(IncomingHead.of(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "expect", "100-continue")).expectContinue());
        IncomingHead old = IncomingHead.of(request(HttpVersion.HTTP_1_0, HttpMethod.POST, "content-length", "3", "expect", "100-continue"));
        assertFalse(old.expectContinue(), "HTTP/1.0 has no 100");
        assertTrue(old.http10());
    }

    @Test
    void aChunkedBodyHasNoLengthAndHeadAndConnectAreTheClientsMethods() {
        IncomingHead chunked = IncomingHead.of(request(HttpVersion.HTTP_1_1, HttpMethod.POST, "transfer-encoding", "chunked"));
        assertEquals(Body.CHUNKED, chunked.framing());
        assertEquals(-1, chunked.contentLength());
        assertTrue(IncomingHead.of(request(HttpVersion.HTTP_1_1, HttpMethod.HEAD)).headMethod());
        assertTrue(IncomingHead.of(request(HttpVersion.HTTP_1_1, HttpMethod.CONNECT)).connect());
    }

    @Test
    void anUnparsedHeadHasNoBodyAndTellsTheAccessLogWhy() {
        DefaultHttpRequest bad = request(HttpVersion.HTTP_1_1, HttpMethod.POST, "content-length", "5");
        bad.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("x")));
        IncomingHead h = IncomingHead.of(bad);
        assertFalse(h.decoded());
        assertEquals(Body.NONE, h.framing(), "a head that did not parse has no body the proxy reads");
        AccessLog.UnparsedHead u = IncomingHead.unparsed(bad);
        assertEquals("unparseable request head", u.reason());
        assertEquals(-1, u.bytesSeen());
        assertNull(IncomingHead.unparsed(request(HttpVersion.HTTP_1_1, HttpMethod.GET)));
    }

    @Test
    void scrubbingDropsHopByHopFieldsAndTheExpectationKeepsTheUpgradeAndSetsTheId() {
        DefaultHttpRequest r = request(HttpVersion.HTTP_1_1, HttpMethod.GET, "connection", "upgrade, x-hop", "upgrade", "websocket",
                "x-hop", "1", "keep-alive", "timeout=5", "expect", "100-continue", "x-request-id", "from-client", "x-end", "2");
        IncomingHead.scrub(r, Switching.of(r, IncomingHead.of(r), false), "req-1");
        assertEquals("websocket", r.headers().get("upgrade"), "what the request is stays");
        assertNull(r.headers().get("connection"));
        assertNull(r.headers().get("x-hop"), "named in Connection: hop-by-hop");
        assertNull(r.headers().get("keep-alive"));
        assertNull(r.headers().get("expect"), "the proxy answers 100 itself");
        assertEquals("req-1", r.headers().get("x-request-id"));
        assertEquals("2", r.headers().get("x-end"));
    }
}
