package dev.turnpike.runtime.exchange;

import dev.turnpike.runtime.log.AccessLog;
import dev.turnpike.runtime.wire.HopByHop;
import dev.turnpike.runtime.wire.RequestFraming;
import dev.turnpike.runtime.wire.WireViolation;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;

/**
 * What the client's head says about how its request goes on, read once, as it arrived, before any
 * plugin can change it: the body's framing, a 100-continue expectation, the client's own method.
 *
 * @param decoded        whether the head parsed (an unparsed one has no body the proxy reads)
 * @param framing        how the body is framed
 * @param contentLength  the Content-Length of a LENGTH body, else -1
 * @param expectContinue whether the client waits for a 100 before sending a body it has
 * @param headMethod     whether the client asked HEAD. The client's method decides its response's
 *                       framing, whatever a plugin makes of the request later: the server codec
 *                       paired the method with the response when it decoded the head.
 */
record IncomingHead(boolean decoded, boolean http10, RequestFraming.Body framing, long contentLength,
                    boolean expectContinue, boolean connect, boolean headMethod) {

    static IncomingHead of(HttpRequest request) {
        boolean decoded = request.decoderResult().isSuccess();
        boolean http10 = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
        RequestFraming.Body framing = decoded ? RequestFraming.body(request) : RequestFraming.Body.NONE;
        long length = framing == RequestFraming.Body.LENGTH ? RequestFraming.contentLength(request) : -1;
        String expect = decoded ? request.headers().get(HttpHeaderNames.EXPECT) : null;
        boolean expectContinue = expect != null && expect.trim().equalsIgnoreCase("100-continue") && !http10
                && framing != RequestFraming.Body.NONE && length != 0;
        return new IncomingHead(decoded, http10, framing, length, expectContinue,
                decoded && request.method().equals(HttpMethod.CONNECT), request.method().equals(HttpMethod.HEAD));
    }

    boolean hasBody() {
        return framing != RequestFraming.Body.NONE;
    }

    /**
     * Readies the client's head for the phases: the hop-by-hop fields go (the Upgrade that says what
     * the request is stays, as {@code switching} keeps it); an Expect goes too, as the proxy answers
     * 100 itself once a backend is ready; and the request id is set.
     */
    static void scrub(HttpRequest request, Switching switching, String requestId) {
        request.headers().remove(HttpHeaderNames.EXPECT);
        HopByHop.strip(request.headers());
        switching.keepUpgrade(request);
        request.headers().set(RequestIds.HEADER, requestId);
    }

    /** What the decoder saw of a head it could not parse, for the access log; null for a parsed one. */
    static AccessLog.UnparsedHead unparsed(HttpRequest request) {
        if (request.decoderResult().isSuccess()) {
            return null;
        }
        return request.decoderResult().cause() instanceof WireViolation v
                ? new AccessLog.UnparsedHead(v.getMessage(), v.headBytes())
                : new AccessLog.UnparsedHead("unparseable request head", -1);
    }
}
