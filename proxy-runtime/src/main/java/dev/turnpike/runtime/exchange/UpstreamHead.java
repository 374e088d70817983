package dev.turnpike.runtime.exchange;

import dev.turnpike.api.Headers;
import dev.turnpike.api.RequestHead;
import dev.turnpike.runtime.wire.HeadWriter;
import dev.turnpike.api.MessageSyntax;
import dev.turnpike.runtime.wire.RequestFraming;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;

/**
 * One attempt's request head, the one that goes to the backend ({@code Session.upstreamRequest()}):
 * the client's head with this attempt's edits laid over it. Method and target are the client's
 * until a plugin sets them; the headers are an {@link OverlayHeaders}. Editable while
 * upstream_request_filter runs, then frozen and written as bytes with the runtime's framing.
 *
 * <p>Everything the response's framing depends on (HEAD or not) is read from here, from what was
 * actually sent, not from the client's head.
 */
final class UpstreamHead implements RequestHead, NettyHeaders.Head {

    private final RequestView client;
    private final OverlayHeaders headers;
    private final RequestFraming.Body framing;
    private final long clientLength;
    private String method;
    private String uri;
    private boolean editable = true;
    private long declaredLength = ResponseView.UNDECLARED;
    private boolean upgrade;

    /**
     * @param framing      how the client framed its body
     * @param clientLength the client's Content-Length, or -1
     */
    UpstreamHead(RequestView client, RequestFraming.Body framing, long clientLength) {
        this.client = client;
        this.headers = new OverlayHeaders(client.netty().headers(), this);
        this.framing = framing;
        this.clientLength = clientLength;
    }

    /** The client asked to switch protocols: its Upgrade goes on, with the Connection option that names it. */
    void upgrade() {
        upgrade = true;
    }

    /** Whether this head asks the backend to switch protocols (a plugin may have taken the Upgrade out). */
    boolean upgrading() {
        return upgrade && headers.has(HttpHeaderNames.UPGRADE);
    }

    /** After upstream_request_filter: what is here now is what is sent. */
    void freeze() {
        editable = false;
    }

    @Override
    public void checkEditable() {
        if (!editable) {
            throw new IllegalStateException("the upstream request head may be edited in upstream_request_filter only");
        }
    }

    /** Names the backend for an HTTP/1.0 client that sent no Host, or where a plugin removed it. */
    void hostIfMissing(String authority) {
        if (!headers.has(HttpHeaderNames.HOST)) {
            headers.setUnchecked("Host", authority);
        }
    }

    boolean isHead() {
        return method().equals("HEAD");
    }

    /** Whether a body goes with this request (the client's framing says so). */
    boolean hasBody() {
        return framing != RequestFraming.Body.NONE;
    }

    /** Whether the body goes out chunked: the client sent it so, or a plugin declared its length unknown. */
    boolean chunked() {
        return hasBody() && bodyLength() < 0;
    }

    /** The Content-Length a plugin declared for a body it changes, or -1 when none did (or it is chunked). */
    long declaredLength() {
        return declaredLength != ResponseView.UNDECLARED ? declaredLength : -1;
    }

    /** The head as bytes: request line, headers, and the runtime's framing header. */
    ByteBuf encode(ByteBufAllocator alloc) {
        ByteBuf out = HeadWriter.scratch();
        HeadWriter.requestLine(out, method(), uri());
        headers.writeTo(out);
        if (upgrading()) {
            HeadWriter.header(out, HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        }
        if (hasBody()) {
            long length = bodyLength();
            if (length < 0) {
                HeadWriter.header(out, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else {
                HeadWriter.header(out, HttpHeaderNames.CONTENT_LENGTH, Long.toString(length));
            }
        }
        HeadWriter.end(out);
        return HeadWriter.copyOut(alloc, out);
    }

    @Override
    public String method() {
        return method != null ? method : client.method();
    }

    @Override
    public void setMethod(String method) {
        checkEditable();
        this.method = MessageSyntax.checkMethod(method);
    }

    @Override
    public String uri() {
        return uri != null ? uri : client.uri();
    }

    @Override
    public void setUri(String uri) {
        checkEditable();
        this.uri = MessageSyntax.checkTarget(uri);
    }

    @Override
    public String path() {
        return path(uri());
    }

    @Override
    public String query() {
        return query(uri());
    }

    /** Always HTTP/1.1 upstream, whatever the client spoke. */
    @Override
    public String version() {
        return "HTTP/1.1";
    }

    @Override
    public Headers headers() {
        return headers;
    }

    @Override
    public long bodyLength() {
        if (declaredLength != ResponseView.UNDECLARED) {
            return declaredLength;
        }
        return framing == RequestFraming.Body.NONE ? 0 : framing == RequestFraming.Body.CHUNKED ? -1 : clientLength;
    }

    @Override
    public void setBodyLength(long length) {
        checkEditable();
        if (!hasBody()) {
            throw new IllegalStateException("the request has no body whose length could change");
        }
        if (length < -1) {
            throw new IllegalArgumentException("a body length is -1 (unknown: chunked) or at least 0, not " + length);
        }
        declaredLength = length;
    }

    @Override
    public String toString() {
        return method() + " " + uri();
    }

    static String path(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    static String query(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? null : uri.substring(q + 1);
    }
}
