package dev.turnpike.runtime.http;

import dev.turnpike.api.Headers;
import dev.turnpike.api.ResponseHead;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

/** {@link ResponseHead} over the Netty response that goes (or went) to the client. */
final class ResponseView implements ResponseHead {

    private final HttpResponse response;
    private Headers headers;

    ResponseView(HttpResponse response) {
        this.response = response;
    }

    @Override
    public int status() {
        return response.status().code();
    }

    @Override
    public void setStatus(int status) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status " + status + " is outside 100..599");
        }
        response.setStatus(HttpResponseStatus.valueOf(status));
    }

    @Override
    public Headers headers() {
        if (headers == null) {
            headers = new NettyHeaders(response.headers());
        }
        return headers;
    }
}
