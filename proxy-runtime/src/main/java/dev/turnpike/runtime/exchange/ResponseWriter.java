package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyError;
import dev.turnpike.runtime.wire.HeadWriter;
import dev.turnpike.runtime.wire.HopByHop;
import dev.turnpike.runtime.wire.WireResponse;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.function.BooleanSupplier;

/**
 * The response side towards the client: frames what goes out (Content-Length, chunked, or the
 * close for an HTTP/1.0 client), adds the connection headers and the request id, batches flushes,
 * holds a body to the length its head announced, and watches the client's {@code send_timeout}:
 * a client that takes no bytes while some wait for it is the client's timeout.
 *
 * <p>Confined to the request's event loop.
 */
final class ResponseWriter implements ChannelFutureListener {

    private static final ByteBuf CONTINUE = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(
            "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII)).asReadOnly());

    /** Where the response to the client stands. */
    enum State {
        /** Nothing written: an error can still be answered with a status. */
        NOT_STARTED,
        /** The head went out; the body is streaming. */
        STREAMING,
        /** The last part is written, its write not complete yet. */
        ENDING,
        /** The last part's write completed (or failed). */
        DONE,
        /** Cut short: the connection is closing. */
        CUT
    }

    /** What the writer reports to: the request. */
    interface Owner {
        /** The last part's write completed; {@code ok} false when the client went away first. */
        void written(boolean ok);

        /** The client took no bytes for {@code server.send_timeout}. */
        void clientTimedOut(ProxyError error);

        void due(long deadline);
    }

    private final Channel channel;
    private final Owner owner;
    private final boolean http10;
    private final String requestId;
    private final BooleanSupplier shuttingDown;
    private final Clock sendClock;
    private final ByteBufAllocator alloc;
    private State state = State.NOT_STARTED;
    /** Whether the body goes out in chunks (the writer frames them; nothing below it does). */
    private boolean chunked;
    private boolean closeAfter;
    private boolean batching;
    private boolean flushPending;
    private long length = -1;
    private long bodyBytes;
    private long lastPending;
    private int status;
    private HttpResponse head;

    /**
     * @param keepAlive    whether the client wants the connection kept
     * @param shuttingDown whether the proxy is shutting down (then every response closes its connection)
     */
    ResponseWriter(Channel channel, Owner owner, boolean http10, boolean keepAlive, BooleanSupplier shuttingDown,
                   String requestId, long sendTimeoutNanos) {
        this.channel = channel;
        this.owner = owner;
        this.http10 = http10;
        this.shuttingDown = shuttingDown;
        this.requestId = requestId;
        this.closeAfter = !keepAlive;
        this.sendClock = new Clock(sendTimeoutNanos);
        this.alloc = channel.alloc();
    }

    State state() {
        return state;
    }

    boolean started() {
        return state != State.NOT_STARTED;
    }

    int status() {
        return status;
    }

    long bodyBytes() {
        return bodyBytes;
    }

    /** The head that went out, or null. */
    HttpResponse head() {
        return head;
    }

    /** The connection closes after this response (set by whoever learns it must). */
    void closeAfter() {
        closeAfter = true;
    }

    boolean closing() {
        return closeAfter;
    }

    boolean writable() {
        return channel.isWritable();
    }

    /** While the backend's read batch is handled, writes wait for one flush at its end. */
    void batch(boolean on) {
        batching = on;
        if (!on) {
            flush();
        }
    }

    /**
     * Sends the backend's (edited) response head.
     *
     * @param length     the body length to frame: -1 unknown (chunked, or close for HTTP/1.0)
     * @param lengthText the backend's own Content-Length value, left in place when unchanged
     * @param noBody     no body follows (a response to HEAD, 204, 304): its headers stay as they are
     * @param untouched  no plugin edited the head: a head the decoder kept as received may go on as
     *                   its bytes (less hop-by-hop lines) when the framing stays the backend's too
     */
    void head(HttpResponse r, long length, String lengthText, boolean noBody, boolean untouched) {
        r.setProtocolVersion(HttpVersion.HTTP_1_1);
        HttpHeaders h = r.headers();
        // The backend's own request id would be replaced, not repeated: then the fields are written.
        boolean asReceived = untouched && r instanceof WireResponse && !h.contains(RequestIds.HEADER)
                && r.status().code() != 101;
        h.remove(HttpHeaderNames.TRANSFER_ENCODING);
        if (noBody) {
            this.length = 0;
        } else if (length >= 0) {
            if (lengthText == null || h.get(HttpHeaderNames.CONTENT_LENGTH) != lengthText) {
                h.set(HttpHeaderNames.CONTENT_LENGTH, length); // a plugin touched it, or declared another
                asReceived = false;
            }
            this.length = length;
        } else {
            if (h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                h.remove(HttpHeaderNames.CONTENT_LENGTH);
                asReceived = false;
            }
            if (http10) {
                closeAfter = true; // an HTTP/1.0 client knows no chunks: the close ends the body
            } else {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
        }
        chunked = !noBody && length < 0 && !http10;
        connectionHeaders(r);
        status = r.status().code();
        head = r;
        state = State.STREAMING;
        write(asReceived ? ResponseHeadBytes.asReceived(alloc, (WireResponse) r, chunked,
                closeAfter ? HttpHeaderValues.CLOSE : http10 ? HttpHeaderValues.KEEP_ALIVE : null, requestId)
                : HeadWriter.responseHead(alloc, r));
    }

    /** An informational response (102, 103), forwarded to an HTTP/1.1 client before the final one. */
    void interim(HttpResponse r) {
        if (http10 || state != State.NOT_STARTED) {
            return;
        }
        HopByHop.strip(r.headers());
        write(HeadWriter.responseHead(alloc, r));
    }

    /** The client waits for this before it sends its body (the proxy answers Expect itself). */
    void continue100() {
        channel.writeAndFlush(CONTINUE.duplicate());
    }

    /**
     * A part of the body as the backend's decoder made it (ownership passes), written as it is; a
     * {@link LastHttpContent} ends the body. Returns false, and lets go of it, when the body would
     * not match the length its head announced: the caller must cut the response.
     */
    boolean body(HttpContent part) {
        if (part instanceof LastHttpContent last) {
            return end(last);
        }
        if (state != State.STREAMING) {
            part.release();
            return true;
        }
        ByteBuf data = part.content();
        bodyBytes += data.readableBytes();
        if (length >= 0 && bodyBytes > length) {
            data.release();
            return false;
        }
        if (!data.isReadable()) {
            data.release(); // as a chunk, nothing would read as the last one
            return true;
        }
        write(chunked ? HeadWriter.chunk(alloc, data) : data);
        return true;
    }

    /** A piece of a body a plugin replaced (ownership passes); as {@link #body(HttpContent)}. */
    boolean body(ByteBuf data) {
        if (!data.isReadable()) {
            data.release();
            return true;
        }
        return body(new DefaultHttpContent(data));
    }

    /**
     * The last part of the body (its bytes, if any, and the backend's trailers), in one write.
     * Returns false when the body came out longer or shorter than its head announced.
     */
    boolean end(LastHttpContent last) {
        if (state != State.STREAMING) {
            last.release();
            return true;
        }
        ByteBuf data = last.content();
        bodyBytes += data.readableBytes();
        if (length >= 0 && bodyBytes != length) {
            data.release();
            return false;
        }
        if (!chunked) {
            finalWrite(data); // trailers have no place in a body framed by length or by the close
        } else if (data.isReadable()) {
            finalWrite(Unpooled.wrappedBuffer(HeadWriter.chunk(alloc, data), HeadWriter.lastChunk(alloc, last.trailingHeaders())));
        } else {
            data.release();
            finalWrite(HeadWriter.lastChunk(alloc, last.trailingHeaders()));
        }
        return true;
    }

    /** The end of a body a plugin replaced: its last bytes and the trailers (or null). */
    boolean end(ByteBuf data, HttpHeaders trailers) {
        if (!data.isReadable() && (trailers == null || trailers.isEmpty())) {
            data.release();
            return end(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        return end(trailers == null ? new DefaultLastHttpContent(data) : new DefaultLastHttpContent(data, trailers));
    }

    /** A whole response the proxy wrote itself (a plugin's answer, an error). */
    void full(FullHttpResponse res, boolean headRequest) {
        connectionHeaders(res);
        bodyBytes = headRequest ? 0 : res.content().readableBytes();
        status = res.status().code();
        head = res;
        ByteBuf bytes = HeadWriter.responseHead(alloc, res);
        if (headRequest || !res.content().isReadable()) {
            res.content().release();
            finalWrite(bytes);
        } else {
            finalWrite(Unpooled.wrappedBuffer(bytes, res.content()));
        }
    }

    /**
     * The answer to a CONNECT whose connection to the target is open: a 200 without framing fields
     * (RFC 9110 §9.3.6: what follows is the tunnel's). The owner hears {@code written} when it has gone.
     */
    void established() {
        DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                new HttpResponseStatus(200, "Connection Established"), Unpooled.EMPTY_BUFFER);
        res.headers().set(RequestIds.HEADER, requestId);
        status = 200;
        head = res;
        finalWrite(HeadWriter.responseHead(alloc, res));
    }

    /** Too late for a status: all the client can learn is that the response is cut short. */
    void cut() {
        if (state == State.CUT) {
            return;
        }
        state = State.CUT;
        closeAfter = true;
        sendClock.disarm();
        // What went out before the failure reaches the client, so it sees a response cut short
        // rather than none; nothing after the failure was written.
        channel.flush();
        channel.close();
    }

    private void connectionHeaders(HttpResponse r) {
        if (r.status().code() == 101) {
            // The switch, whatever else: the connection leaves HTTP, and a closing server lets it.
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            r.headers().set(RequestIds.HEADER, requestId);
            return;
        }
        if (shuttingDown.getAsBoolean()) {
            closeAfter = true;
        }
        if (closeAfter) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        r.headers().set(RequestIds.HEADER, requestId);
    }

    private void finalWrite(Object last) {
        state = State.ENDING;
        flushPending = false;
        ChannelFuture f = channel.writeAndFlush(last);
        f.addListener(this);
        if (!f.isDone() && state == State.ENDING) {
            watchSending(); // the client has not taken it all yet
        }
    }

    private void write(Object msg) {
        channel.write(msg, channel.voidPromise());
        flushPending = true;
        if (!batching) {
            flush();
        }
    }

    void flush() {
        if (flushPending) {
            flushPending = false;
            channel.flush();
        }
    }

    @Override
    public void operationComplete(ChannelFuture future) {
        sendClock.disarm();
        if (state == State.ENDING) {
            state = State.DONE;
        }
        if (!future.isSuccess()) {
            closeAfter = true;
        }
        owner.written(future.isSuccess());
    }

    /** The client connection's writability changed: its send clock runs while it takes nothing. */
    void writabilityChanged(boolean writable) {
        if (writable) {
            if (state != State.ENDING) {
                sendClock.disarm();
            }
        } else if (state != State.DONE && state != State.CUT) {
            // Also before the head: interim responses (a 100, 103s) may be what fills the channel,
            // and the backend's reading is paused meanwhile: without this clock, nothing would run.
            watchSending();
        }
    }

    private void watchSending() {
        if (!sendClock.armed()) {
            lastPending = pendingBytes();
            owner.due(sendClock.arm(System.nanoTime()));
        }
    }

    /**
     * The request's timer asks: fails the request when bytes have waited for the client for
     * {@code send_timeout} without any of them being taken. Returns when to look again.
     */
    long check(long now) {
        if (!sendClock.armed()) {
            return 0;
        }
        long pending = pendingBytes();
        if (pending == 0 && state != State.ENDING) {
            sendClock.disarm();
            return 0;
        }
        if (pending < lastPending) {
            sendClock.touch(now); // the client took some: it is slow, not gone
        }
        lastPending = pending;
        if (sendClock.expired(now)) {
            sendClock.disarm();
            owner.clientTimedOut(ProxyError.of(ErrorKind.CLIENT_TIMEOUT, "client took no response bytes for "
                    + sendClock.timeoutMillis() + " ms (server.send_timeout)", null));
            return 0;
        }
        return sendClock.deadline();
    }

    private long pendingBytes() {
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }
}
