package dev.turnpike.runtime.http;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * What a retry needs to send one request again: its head as it was before the first
 * {@code upstream_request_filter} (so the filters' edits are not applied twice), and the parts of its
 * body that went out, kept as retained views while they stay within {@code upstream.retry_body_limit}.
 * Past the limit, or once the backend has answered, nothing more is kept and what was is let go.
 * Confined to the request's event loop; {@link #release()} must run when the exchange ends.
 */
final class Resend {

    private final long bodyLimit;
    private HttpHeaders headers;
    private HttpMethod method;
    private String uri;
    private ArrayDeque<HttpContent> body;
    private long bodyBytes;
    private boolean bodyLost;
    private boolean stopped;

    Resend(long bodyLimit) {
        this.bodyLimit = bodyLimit;
    }

    /** Remembers the head before upstream_request_filter first runs; later calls change nothing. */
    void rememberHead(HttpRequest request) {
        if (headers == null) {
            headers = request.headers().copy();
            method = request.method();
            uri = request.uri();
        }
    }

    /** Puts the remembered head back, if one was remembered. */
    void restoreHead(HttpRequest request) {
        if (headers != null) {
            request.setMethod(method);
            request.setUri(uri);
            request.headers().set(headers);
        }
    }

    /** Whether a body part carries nothing a resend would need: no bytes, and no trailers. */
    static boolean isEmpty(HttpContent part) {
        return part.content().readableBytes() == 0
                && (!(part instanceof LastHttpContent last) || last.trailingHeaders().isEmpty());
    }

    /** Keeps a view of a body part that is going upstream (the caller still owns {@code part}). */
    void keep(HttpContent part) {
        if (stopped || bodyLost) {
            return;
        }
        bodyBytes += part.content().readableBytes();
        if (bodyBytes > bodyLimit) {
            bodyLost = true;
            releaseBody();
            return;
        }
        if (body == null) {
            body = new ArrayDeque<>(4);
        }
        body.add(part.retainedDuplicate());
    }

    /** Whether more of the body went out than was kept: then the request cannot be sent again. */
    boolean bodyLost() {
        return bodyLost;
    }

    /** Writes the kept body parts again, as new views; returns whether the body's last part was among them. */
    boolean writeKept(Consumer<HttpContent> write) {
        boolean last = false;
        if (body != null) {
            for (HttpContent c : body) {
                write.accept(c.retainedDuplicate());
                last |= c instanceof LastHttpContent;
            }
        }
        return last;
    }

    /** The backend answered: no retry from here on, so nothing more is kept. */
    void stop() {
        stopped = true;
        releaseBody();
    }

    /** Lets go of every kept part (the exchange is over). */
    void release() {
        releaseBody();
    }

    private void releaseBody() {
        if (body != null) {
            body.forEach(ReferenceCountUtil::release);
            body = null;
        }
    }
}
