package dev.turnpike.runtime.exchange;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.wire.RequestFraming;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pins down the two request heads: {@link UpstreamHead} (method and target fall back to the
 * client's until set, their checks, the body length a plugin may declare, Host for a client that
 * sent none, and the exact bytes {@link UpstreamHead#encode} writes, framing headers included) and
 * {@link RequestView}, the client's head (editable until frozen, never a body length).
 */
class UpstreamHeadTest {

    /** A client request with headers given as name, value, name, value... */
    private static HttpRequest request(HttpVersion version, String method, String uri, String... nameValues) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (int i = 0; i < nameValues.length; i += 2) {
            headers.add(nameValues[i], nameValues[i + 1]);
        }
        return new DefaultHttpRequest(version, HttpMethod.valueOf(method), uri, headers);
    }

    private static UpstreamHead upstream(HttpRequest request, RequestFraming.Body body, long length) {
        return new UpstreamHead(new RequestView(request, body, length), body, length);
    }

    private static String encode(UpstreamHead head) {
        ByteBuf out = head.encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            return out.toString(StandardCharsets.ISO_8859_1);
        } finally {
            out.release();
        }
    }

    // --- method, target, version -------------------------------------------------------------

    @Test
    void methodAndTargetAreTheClientsUntilSet() {
        HttpRequest client = request(HttpVersion.HTTP_1_0, "GET", "/a/b?q=1", "Host", "h");
        UpstreamHead head = upstream(client, RequestFraming.Body.NONE, -1);

        assertEquals("GET", head.method());
        assertEquals("/a/b?q=1", head.uri());
        assertEquals("/a/b", head.path());
        assertEquals("q=1", head.query());
        assertEquals("HTTP/1.1", head.version(), "always HTTP/1.1 upstream");

        head.setMethod("HEAD");
        head.setUri("/c");

        assertEquals("HEAD", head.method());
        assertTrue(head.isHead());
        assertEquals("/c", head.uri());
        assertNull(head.query());
        assertEquals("GET", client.method().name(), "the client's method is untouched");
        assertEquals("/a/b?q=1", client.uri(), "the client's target is untouched");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"GE T", "GET\r\n", "G(ET", "GÉT"})
    void aMethodThatIsNotATokenIsRefused(String method) {
        UpstreamHead head = upstream(request(HttpVersion.HTTP_1_1, "GET", "/", "Host", "h"), RequestFraming.Body.NONE, -1);

        assertThrows(IllegalArgumentException.class, () -> head.setMethod(method));
        assertEquals("GET", head.method());
    }

    @Test
    void anExtensionMethodIsAllowed() {
        UpstreamHead head = upstream(request(HttpVersion.HTTP_1_1, "GET", "/", "Host", "h"), RequestFraming.Body.NONE, -1);

        head.setMethod("PURGE");

        assertEquals("PURGE", head.method());
        assertTrue(encode(head).startsWith("PURGE / HTTP/1.1\r\n"));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"/a b", "/a\r\nX: y", "/a\tb", "/\u0000", "/caf\u00e9", "/\u007f"})
    void anInvalidTargetIsRefused(String uri) {
        UpstreamHead head = upstream(request(HttpVersion.HTTP_1_1, "GET", "/x", "Host", "h"), RequestFraming.Body.NONE, -1);

        assertThrows(IllegalArgumentException.class, () -> head.setUri(uri));
        assertEquals("/x", head.uri());
    }

    @Test
    void methodTargetAndBodyLengthCannotChangeAfterFreeze() {
        UpstreamHead head = upstream(request(HttpVersion.HTTP_1_1, "POST", "/x", "Host", "h", "Content-Length", "3"),
                RequestFraming.Body.LENGTH, 3);
        head.freeze();

        assertThrows(IllegalStateException.class, () -> head.setMethod("PUT"));
        assertThrows(IllegalStateException.class, () -> head.setUri("/y"));
        assertThrows(IllegalStateException.class, () -> head.setBodyLength(5));
        assertEquals("POST /x", head.toString());
        assertEquals(3, head.bodyLength());
    }

    // --- body length ---------------------------------------------------------------------------

    @Test
    void bodyLengthFollowsTheClientsFramingUntilDeclared() {
        HttpRequest client = request(HttpVersion.HTTP_1_1, "POST", "/", "Host", "h");
        assertEquals(0, upstream(client, RequestFraming.Body.NONE, -1).bodyLength());
        assertEquals(-1, upstream(client, RequestFraming.Body.CHUNKED, -1).bodyLength());
        assertEquals(42, upstream(client, RequestFraming.Body.LENGTH, 42).bodyLength());

        UpstreamHead head = upstream(client, RequestFraming.Body.LENGTH, 42);
        assertEquals(-1, head.declaredLength());
        head.setBodyLength(7);
        assertEquals(7, head.bodyLength());
        assertEquals(7, head.declaredLength());
        assertFalse(head.chunked());
        head.setBodyLength(-1);
        assertEquals(-1, head.bodyLength());
        assertTrue(head.chunked());
    }

    @Test
    void aRequestWithoutBodyCannotDeclareALength() {
        UpstreamHead head = upstream(request(HttpVersion.HTTP_1_1, "GET", "/", "Host", "h"), RequestFraming.Body.NONE, -1);

        assertThrows(IllegalStateException.class, () -> head.setBodyLength(10));
        assertThrows(IllegalStateException.class, () -> head.setBodyLength(-1));
        assertEquals(0, head.bodyLength());
        assertFalse(head.hasBody());
    }

    @Test
    void aLengthBelowMinusOneIsRefused() {
        UpstreamHead head = upstream(request(HttpVersion.HTTP_1_1, "PUT", "/", "Host", "h", "Content-Length", "2"),
                RequestFraming.Body.LENGTH, 2);

        assertThrows(IllegalArgumentException.class, () -> head.setBodyLength(-2));
        assertEquals(2, head.bodyLength());
    }

    // --- encode --------------------------------------------------------------------------------

    @Test
    void aBodylessRequestIsWrittenWithItsHeadersInOrderAndNoFraming() {
        UpstreamHead head = upstream(request(HttpVersion.HTTP_1_1, "GET", "/x",
                "Host", "example.com", "Accept", "text/html", "X-Trace", "a", "X-Trace", "b"), RequestFraming.Body.NONE, -1);

        assertEquals("GET /x HTTP/1.1\r\n"
                + "Host: example.com\r\n"
                + "Accept: text/html\r\n"
                + "X-Trace: a\r\n"
                + "X-Trace: b\r\n"
                + "\r\n", encode(head));
    }

    @Test
    void untouchedClientLinesComeFirstThenTheTouchedNamesWithTheirValuesNow() {
        UpstreamHead head = upstream(request(HttpVersion.HTTP_1_1, "GET", "/x",
                "Host", "example.com", "Accept", "text/html", "X-Trace", "a", "User-Agent", "curl/8", "Cookie", "c=1"),
                RequestFraming.Body.NONE, -1);
        head.headers().add("X-Trace", "b");
        head.headers().set("Via", "1.1 turnpike");
        head.headers().remove("User-Agent");
        head.headers().set("accept", "application/json");

        assertEquals("GET /x HTTP/1.1\r\n"
                + "Host: example.com\r\n"
                + "Cookie: c=1\r\n"
                + "X-Trace: a\r\n"
                + "X-Trace: b\r\n"
                + "Via: 1.1 turnpike\r\n"
                + "accept: application/json\r\n"
                + "\r\n", encode(head));
    }

    @Test
    void theContentLengthIsWrittenFromTheFramingNeverCopiedFromTheClient() {
        UpstreamHead head = upstream(request(HttpVersion.HTTP_1_1, "POST", "/x",
                "Host", "example.com", "Content-Length", "5", "Accept", "*/*"), RequestFraming.Body.LENGTH, 5);

        assertEquals("POST /x HTTP/1.1\r\n"
                + "Host: example.com\r\n"
                + "Accept: */*\r\n"
                + "content-length: 5\r\n"
                + "\r\n", encode(head));
    }

    @Test
    void aChunkedBodyIsWrittenChunkedOnceWhateverTheClientsLinesSaid() {
        UpstreamHead head = upstream(request(HttpVersion.HTTP_1_1, "POST", "/x",
                "Host", "example.com", "Transfer-Encoding", "chunked"), RequestFraming.Body.CHUNKED, -1);

        assertEquals("POST /x HTTP/1.1\r\n"
                + "Host: example.com\r\n"
                + "transfer-encoding: chunked\r\n"
                + "\r\n", encode(head));
    }

    @Test
    void aDeclaredUnknownLengthIsWrittenChunked() {
        UpstreamHead head = upstream(request(HttpVersion.HTTP_1_1, "POST", "/x",
                "Host", "example.com", "Content-Length", "5"), RequestFraming.Body.LENGTH, 5);
        head.setBodyLength(-1);

        assertEquals("POST /x HTTP/1.1\r\n"
                + "Host: example.com\r\n"
                + "transfer-encoding: chunked\r\n"
                + "\r\n", encode(head));
    }

    @Test
    void aDeclaredLengthIsWrittenAsContentLength() {
        UpstreamHead chunked = upstream(request(HttpVersion.HTTP_1_1, "POST", "/x",
                "Host", "example.com", "Transfer-Encoding", "chunked"), RequestFraming.Body.CHUNKED, -1);
        chunked.setBodyLength(12);
        UpstreamHead sized = upstream(request(HttpVersion.HTTP_1_1, "PUT", "/y",
                "Host", "example.com", "Content-Length", "5"), RequestFraming.Body.LENGTH, 5);
        sized.setBodyLength(0);

        assertEquals("POST /x HTTP/1.1\r\nHost: example.com\r\ncontent-length: 12\r\n\r\n", encode(chunked));
        assertEquals("PUT /y HTTP/1.1\r\nHost: example.com\r\ncontent-length: 0\r\n\r\n", encode(sized));
    }

    @Test
    void framingHeadersAPluginSetAreNotWritten() {
        UpstreamHead bodyless = upstream(request(HttpVersion.HTTP_1_1, "GET", "/x", "Host", "h"), RequestFraming.Body.NONE, -1);
        bodyless.headers().set("Content-Length", "3");
        bodyless.headers().set("Transfer-Encoding", "chunked");
        UpstreamHead sized = upstream(request(HttpVersion.HTTP_1_1, "POST", "/x", "Host", "h", "Content-Length", "5"),
                RequestFraming.Body.LENGTH, 5);
        sized.headers().set("content-length", "999");

        assertEquals("GET /x HTTP/1.1\r\nHost: h\r\n\r\n", encode(bodyless));
        assertEquals("POST /x HTTP/1.1\r\nHost: h\r\ncontent-length: 5\r\n\r\n", encode(sized));
    }

    @Test
    void aSetMethodAndTargetGoOnTheRequestLine() {
        UpstreamHead head = upstream(request(HttpVersion.HTTP_1_0, "GET", "/x", "Host", "h"), RequestFraming.Body.NONE, -1);
        head.setMethod("OPTIONS");
        head.setUri("/v2/x?y=1");

        assertEquals("OPTIONS /v2/x?y=1 HTTP/1.1\r\nHost: h\r\n\r\n", encode(head));
    }

    @Test
    void obsTextBytesOfTheClientAreWrittenAsTheyCame() {
        UpstreamHead head = upstream(request(HttpVersion.HTTP_1_1, "GET", "/", "Host", "h", "X-Name", "caf\u00e9"),
                RequestFraming.Body.NONE, -1);
        ByteBuf out = head.encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            byte[] expected = "GET / HTTP/1.1\r\nHost: h\r\nX-Name: caf\u00e9\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
            assertArrayEquals(expected, ByteBufUtil.getBytes(out));
        } finally {
            out.release();
        }
    }

    // --- Host ----------------------------------------------------------------------------------

    @Test
    void hostIfMissingAddsHostOnlyWhenAbsent() {
        HttpRequest http10 = request(HttpVersion.HTTP_1_0, "GET", "/", "Accept", "*/*");
        UpstreamHead without = upstream(http10, RequestFraming.Body.NONE, -1);
        without.freeze(); // the runtime adds it after upstream_request_filter
        without.hostIfMissing("backend:8080");

        assertEquals("backend:8080", without.host());
        assertEquals("GET / HTTP/1.1\r\nAccept: */*\r\nHost: backend:8080\r\n\r\n", encode(without));
        assertFalse(http10.headers().contains("Host"), "the client's head is untouched");

        UpstreamHead with = upstream(request(HttpVersion.HTTP_1_1, "GET", "/", "Host", "client.example"),
                RequestFraming.Body.NONE, -1);
        with.hostIfMissing("backend:8080");
        assertEquals("client.example", with.host());
        assertEquals("GET / HTTP/1.1\r\nHost: client.example\r\n\r\n", encode(with));
    }

    @Test
    void hostIfMissingReplacesAHostAPluginRemoved() {
        UpstreamHead head = upstream(request(HttpVersion.HTTP_1_1, "GET", "/", "Host", "client.example", "Accept", "*/*"),
                RequestFraming.Body.NONE, -1);
        head.headers().remove("Host");
        head.freeze();
        head.hostIfMissing("backend:8080");

        assertEquals("GET / HTTP/1.1\r\nAccept: */*\r\nHost: backend:8080\r\n\r\n", encode(head));
    }

    // --- the client's head ---------------------------------------------------------------------

    @Test
    void theClientsHeadIsEditableUntilFrozen() {
        HttpRequest client = request(HttpVersion.HTTP_1_0, "GET", "/x", "Host", "h", "Accept", "*/*");
        RequestView view = new RequestView(client, RequestFraming.Body.NONE, -1);

        view.setMethod("DELETE");
        view.setUri("/y?z=1");
        view.headers().set("Accept", "text/plain");
        view.headers().add("X-New", "1");
        view.headers().remove("Host");

        assertEquals("DELETE", view.method());
        assertEquals("/y", view.path());
        assertEquals("z=1", view.query());
        assertEquals("HTTP/1.0", view.version(), "the client's version, kept");
        assertEquals("DELETE", client.method().name(), "the view edits the client's request itself");
        assertEquals("text/plain", client.headers().get("Accept"));
        assertEquals("1", client.headers().get("X-New"));
        assertFalse(client.headers().contains("Host"));
        assertNull(view.host());
    }

    @Test
    void theClientsHeadIsReadOnlyOnceFrozen() {
        HttpRequest client = request(HttpVersion.HTTP_1_1, "GET", "/x", "Host", "h", "Accept", "*/*");
        RequestView view = new RequestView(client, RequestFraming.Body.NONE, -1);
        view.freeze();

        assertThrows(IllegalStateException.class, () -> view.setMethod("POST"));
        assertThrows(IllegalStateException.class, () -> view.setUri("/y"));
        assertThrows(IllegalStateException.class, () -> view.headers().set("Accept", "x"));
        assertThrows(IllegalStateException.class, () -> view.headers().add("X-New", "x"));
        assertThrows(IllegalStateException.class, () -> view.headers().remove("Host"));
        assertEquals("GET /x", view.toString());
        assertEquals("*/*", view.headers().get("Accept"));
        assertEquals(2, client.headers().size());
    }

    @Test
    void theClientsHeadRefusesBadValuesAndTargets() {
        RequestView view = new RequestView(request(HttpVersion.HTTP_1_1, "GET", "/x", "Host", "h"),
                RequestFraming.Body.NONE, -1);

        assertThrows(IllegalArgumentException.class, () -> view.headers().set("X-A", "a\r\nb: c"));
        assertThrows(IllegalArgumentException.class, () -> view.headers().add("X-A", "a\0"));
        assertThrows(IllegalArgumentException.class, () -> view.headers().set("Bad Name", "v"));
        assertThrows(IllegalArgumentException.class, () -> view.setUri("/a b"));
        assertFalse(view.headers().contains("X-A"));
        assertEquals("/x", view.uri());
    }

    @Test
    void theClientsHeadersCannotBeChangedThroughIteratedEntries() {
        HttpRequest client = request(HttpVersion.HTTP_1_1, "GET", "/x", "Host", "h", "Accept", "*/*");
        RequestView view = new RequestView(client, RequestFraming.Body.NONE, -1);

        // Editable, but an entry is no way around the value check...
        for (java.util.Map.Entry<String, String> e : view.headers()) {
            assertThrows(UnsupportedOperationException.class, () -> e.setValue("a\r\nInjected: 1"));
        }
        view.freeze();
        // ...nor, frozen, around the freeze.
        for (java.util.Map.Entry<String, String> e : view.headers()) {
            assertThrows(UnsupportedOperationException.class, () -> e.setValue("late"));
        }
        assertEquals("h", client.headers().get("Host"));
        assertEquals("*/*", client.headers().get("Accept"));
    }

    @Test
    void theClientsHeadNeverTakesABodyLength() {
        RequestView view = new RequestView(request(HttpVersion.HTTP_1_1, "POST", "/x", "Host", "h", "Content-Length", "4"),
                RequestFraming.Body.LENGTH, 4);

        assertThrows(IllegalStateException.class, () -> view.setBodyLength(10));
        view.freeze();
        assertThrows(IllegalStateException.class, () -> view.setBodyLength(-1));
        assertEquals(4, view.bodyLength());
    }

    @Test
    void theClientsBodyLengthFollowsItsFraming() {
        HttpRequest client = request(HttpVersion.HTTP_1_1, "POST", "/", "Host", "h");
        assertEquals(0, new RequestView(client, RequestFraming.Body.NONE, -1).bodyLength());
        assertEquals(-1, new RequestView(client, RequestFraming.Body.CHUNKED, -1).bodyLength());
        assertEquals(9, new RequestView(client, RequestFraming.Body.LENGTH, 9).bodyLength());
    }

    @Test
    void hopByHopHeadersAPluginSetsAreNotSent() {
        UpstreamHead head = new UpstreamHead(new RequestView(new io.netty.handler.codec.http.DefaultHttpRequest(
                io.netty.handler.codec.http.HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpMethod.GET, "/"),
                dev.turnpike.runtime.wire.RequestFraming.Body.NONE, -1), dev.turnpike.runtime.wire.RequestFraming.Body.NONE, -1);
        head.headers().set("Connection", "upgrade").set("Upgrade", "websocket").set("TE", "trailers")
                .set("Expect", "100-continue").set("X-Kept", "yes");
        io.netty.buffer.ByteBuf b = head.encode(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
        try {
            assertEquals("GET / HTTP/1.1\r\nX-Kept: yes\r\n\r\n", b.toString(java.nio.charset.StandardCharsets.ISO_8859_1),
                    "the connection's headers are the runtime's");
        } finally {
            b.release();
        }
    }
}
