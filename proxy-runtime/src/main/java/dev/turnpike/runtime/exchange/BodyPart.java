package dev.turnpike.runtime.exchange;

import dev.turnpike.api.BodyChunk;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One piece of a body on its way through the proxy, owning its buffer: what the body phases see as
 * a {@link BodyChunk}, and what the two sides queue while the other cannot take it. The buffer is
 * released exactly once: by {@link #take()}'s caller, or by {@link #release()}.
 *
 * <p>A plugin whose stage is pending may {@link #replace} from the thread that completes the stage,
 * while the event loop may drop the part at the same moment (its phase timed out, the client left).
 * So a replacement is only published, and taken over on the loop the next time the part is used;
 * one that comes after the part was dropped is released by whichever side sees it last.
 */
final class BodyPart implements BodyChunk {

    /** The bytes, as the loop holds them. */
    private ByteBuf data;
    /** A replacement not yet taken over by the loop. */
    private final AtomicReference<ByteBuf> next = new AtomicReference<>();
    private volatile boolean dropped;
    private final boolean last;
    /** The trailer section that came with the last part of a chunked request, or null. */
    private final HttpHeaders trailers;
    /** Whether the body filters have run on it (a part goes through them once, even across attempts). */
    private boolean filtered;

    BodyPart(ByteBuf data, boolean last, HttpHeaders trailers) {
        this.data = data;
        this.last = last;
        this.trailers = trailers;
    }

    @Override
    public ByteBuffer bytes() {
        return current().nioBuffer().asReadOnlyBuffer();
    }

    @Override
    public int length() {
        return current().readableBytes();
    }

    @Override
    public boolean last() {
        return last;
    }

    @Override
    public void replace(ByteBuffer replacement) {
        // A writable heap buffer is the plugin's own memory: wrap it. Anything else may be a view of
        // the buffer being replaced (bytes() is read-only), or memory we do not own: copy it now,
        // before the old bytes are let go.
        ByteBuf n = replacement.hasArray() && !replacement.isReadOnly()
                ? Unpooled.wrappedBuffer(replacement)
                : Unpooled.copiedBuffer(replacement);
        ByteBuf superseded = next.getAndSet(n);
        if (superseded != null) {
            superseded.release();
        }
        if (dropped) {
            releaseNext(); // the loop let go of the part meanwhile
        }
    }

    /** The bytes now, with a published replacement taken over (on the loop). */
    private ByteBuf current() {
        ByteBuf n = next.getAndSet(null);
        if (n != null) {
            data.release();
            data = n;
        }
        return data;
    }

    /** Hands the buffer over; the part is empty afterwards. */
    ByteBuf take() {
        ByteBuf d = current();
        data = Unpooled.EMPTY_BUFFER;
        return d;
    }

    HttpHeaders trailers() {
        return trailers;
    }

    boolean filtered() {
        return filtered;
    }

    void markFiltered() {
        filtered = true;
    }

    /** Drops the part (the request is over, or its stage failed). */
    void release() {
        dropped = true;
        data.release();
        data = Unpooled.EMPTY_BUFFER;
        releaseNext();
    }

    private void releaseNext() {
        ByteBuf n = next.getAndSet(null);
        if (n != null) {
            n.release();
        }
    }
}
