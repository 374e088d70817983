package dev.turnpike.runtime.http;

import dev.turnpike.api.Headers;
import dev.turnpike.api.RequestHead;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;

/** {@link RequestHead} over the Netty request that will be forwarded: edits are the forwarded head. */
final class RequestView implements RequestHead {

    private final HttpRequest request;
    private final String version;
    private Headers headers;

    RequestView(HttpRequest request) {
        this.request = request;
        // The client's version, kept: the forwarded request is always sent as HTTP/1.1.
        this.version = request.protocolVersion().text();
    }

    @Override
    public String method() {
        return request.method().name();
    }

    @Override
    public void setMethod(String method) {
        request.setMethod(HttpMethod.valueOf(method));
    }

    @Override
    public String uri() {
        return request.uri();
    }

    @Override
    public void setUri(String uri) {
        if (uri == null || uri.isEmpty() || uri.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            throw new IllegalArgumentException("invalid request target: " + uri);
        }
        request.setUri(uri);
    }

    @Override
    public String path() {
        String uri = request.uri();
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    @Override
    public String query() {
        String uri = request.uri();
        int q = uri.indexOf('?');
        return q < 0 ? null : uri.substring(q + 1);
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public Headers headers() {
        if (headers == null) {
            headers = new NettyHeaders(request.headers());
        }
        return headers;
    }
}
