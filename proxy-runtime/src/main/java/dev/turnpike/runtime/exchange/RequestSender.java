package dev.turnpike.runtime.exchange;

import dev.turnpike.runtime.wire.HeadWriter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.function.BooleanSupplier;

/**
 * The request's way to the backend within one attempt: the head, then the body as the head frames
 * it (chunked or as is). While the client's read batch runs, writes are flushed once at its end
 * rather than one by one. Confined to the attempt's event loop.
 */
final class RequestSender {

    /** How far the request to the backend has gone. */
    enum Send { HEAD_PENDING, BODY, DONE }

    private final UpstreamHead head;
    /** Whether the client's read batch is running (its end flushes). */
    private final BooleanSupplier inClientRead;
    private Channel channel;
    private Send send = Send.HEAD_PENDING;
    private boolean flushPending;

    RequestSender(UpstreamHead head, BooleanSupplier inClientRead) {
        this.head = head;
        this.inClientRead = inClientRead;
    }

    Send state() {
        return send;
    }

    /** Writes the head on {@code ch}, which carries the rest; afterwards {@link #state} says whether a body follows. */
    void sendHead(Channel ch) {
        channel = ch;
        write(head.encode(ch.alloc()));
        send = head.hasBody() ? Send.BODY : Send.DONE;
    }

    /** A piece of the body (ownership passes); dropped unless a body is being sent. */
    void body(ByteBuf data) {
        if (send != Send.BODY || !data.isReadable()) {
            data.release();
            return;
        }
        write(head.chunked() ? HeadWriter.chunk(channel.alloc(), data) : data);
    }

    /** The end of the body, with a chunked body's trailers (or null); whether it ended the request now. */
    boolean end(HttpHeaders trailers) {
        if (send != Send.BODY) {
            return false;
        }
        if (head.chunked()) {
            write(HeadWriter.lastChunk(channel.alloc(), trailers));
        }
        send = Send.DONE;
        return true;
    }

    private void write(Object msg) {
        channel.write(msg, channel.voidPromise());
        flushPending = true;
        if (!inClientRead.getAsBoolean()) {
            flush();
        }
    }

    /** Flushes what was written during a client read batch. */
    void flush() {
        if (flushPending) {
            flushPending = false;
            channel.flush();
        }
    }
}
