package dev.turnpike.runtime.exchange;

import dev.turnpike.api.MessageSyntax;
import dev.turnpike.api.Headers;
import dev.turnpike.api.RequestHead;
import dev.turnpike.runtime.wire.RequestFraming;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;

/**
 * The client's request head ({@code Session.request()}) over the decoded Netty request: editable in
 * request_filter and the first upstream_peer, then frozen, because every attempt's upstream head is
 * an overlay on it ({@link UpstreamHead}) and must see it unchanged.
 */
final class RequestView implements RequestHead, NettyHeaders.Head {

    private final HttpRequest request;
    private final String version;
    private final long bodyLength;
    private Headers headers;
    private boolean frozen;

    RequestView(HttpRequest request, RequestFraming.Body body, long contentLength) {
        this.request = request;
        // The client's version, kept: the forwarded request is always sent as HTTP/1.1.
        this.version = request.protocolVersion().text();
        this.bodyLength = body == RequestFraming.Body.NONE ? 0 : body == RequestFraming.Body.CHUNKED ? -1 : contentLength;
    }

    /** From the first upstream head on, the client's head is read-only. */
    void freeze() {
        frozen = true;
    }

    @Override
    public void checkEditable() {
        if (frozen) {
            throw new IllegalStateException("the client's request head is read-only once upstream_peer chose a backend;"
                    + " edit session.upstreamRequest() in upstream_request_filter");
        }
    }

    HttpRequest netty() {
        return request;
    }

    @Override
    public String method() {
        return request.method().name();
    }

    @Override
    public void setMethod(String method) {
        checkEditable();
        request.setMethod(HttpMethod.valueOf(MessageSyntax.checkMethod(method)));
    }

    @Override
    public String uri() {
        return request.uri();
    }

    @Override
    public void setUri(String uri) {
        checkEditable();
        request.setUri(MessageSyntax.checkTarget(uri));
    }

    @Override
    public String path() {
        return UpstreamHead.path(request.uri());
    }

    @Override
    public String query() {
        return UpstreamHead.query(request.uri());
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public Headers headers() {
        if (headers == null) {
            headers = new NettyHeaders(request.headers(), this);
        }
        return headers;
    }

    @Override
    public long bodyLength() {
        return bodyLength;
    }

    @Override
    public void setBodyLength(long length) {
        throw new IllegalStateException("the client's request head says what the client sent;"
                + " declare a changed body length on session.upstreamRequest() in upstream_request_filter");
    }

    @Override
    public String toString() {
        return request.method() + " " + request.uri();
    }
}
