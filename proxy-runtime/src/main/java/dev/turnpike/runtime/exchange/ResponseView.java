package dev.turnpike.runtime.exchange;

import dev.turnpike.api.Headers;
import dev.turnpike.api.ResponseHead;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * {@link ResponseHead} over the Netty response that goes (or went) to the client: editable while
 * response_filter runs, read-only before and after (the head is on the wire by then).
 */
final class ResponseView implements ResponseHead, NettyHeaders.Head {

    /** Marks a body length no plugin declared: the runtime frames the body as the backend did. */
    static final long UNDECLARED = Long.MIN_VALUE;

    private final HttpResponse response;
    private final long framedLength;
    private Headers headers;
    private boolean editable;
    private long declaredLength = UNDECLARED;
    private boolean touched;

    /**
     * @param framedLength the body length as the runtime would frame it: 0 for none, a
     *                     Content-Length, -1 for chunked or close-delimited
     */
    ResponseView(HttpResponse response, long framedLength) {
        this.response = response;
        this.framedLength = framedLength;
    }

    void editable(boolean editable) {
        this.editable = editable;
    }

    @Override
    public void checkEditable() {
        if (!editable) {
            throw new IllegalStateException("the response head may be edited in response_filter only");
        }
        touched = true; // every edit asks first: from here on the head is written from its fields
    }

    /** Whether a plugin edited (or tried to edit) the head: then it cannot go on as it was received. */
    boolean touched() {
        return touched;
    }

    HttpResponse netty() {
        return response;
    }

    @Override
    public int status() {
        return response.status().code();
    }

    @Override
    public void setStatus(int status) {
        checkEditable();
        if (status < 200 || status > 599) {
            // A 1xx is not a final answer: the client would wait for another, out of step with us.
            throw new IllegalArgumentException("a final status is 200..599, not " + status);
        }
        response.setStatus(HttpResponseStatus.valueOf(status));
    }

    @Override
    public Headers headers() {
        if (headers == null) {
            headers = new NettyHeaders(response.headers(), this);
        }
        return headers;
    }

    @Override
    public long bodyLength() {
        return declaredLength != UNDECLARED ? declaredLength : framedLength;
    }

    @Override
    public void setBodyLength(long length) {
        checkEditable();
        if (length < -1) {
            throw new IllegalArgumentException("a body length is -1 (unknown: chunked) or at least 0, not " + length);
        }
        declaredLength = length;
    }

    /** The length a plugin declared, or {@link #UNDECLARED}. */
    long declaredLength() {
        return declaredLength;
    }
}
