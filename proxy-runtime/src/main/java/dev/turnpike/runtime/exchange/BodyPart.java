package dev.turnpike.runtime.exchange;

import dev.turnpike.api.BodyChunk;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.ByteBuffer;

/**
 * One piece of a body on its way through the proxy, owning its buffer: what the body phases see as
 * a {@link BodyChunk}, and what the two sides queue while the other cannot take it. The buffer is
 * released exactly once: by {@link #take()}'s caller, or by {@link #release()}.
 */
final class BodyPart implements BodyChunk {

    private ByteBuf data;
    private final boolean last;
    /** The trailer section that came with the last part of a chunked request, or null. */
    private final HttpHeaders trailers;
    /** Whether the body filters have run on it (a part goes through them once, even across attempts). */
    private boolean filtered;
    /** Whether a plugin replaced the bytes. */
    private boolean replaced;

    BodyPart(ByteBuf data, boolean last, HttpHeaders trailers) {
        this.data = data;
        this.last = last;
        this.trailers = trailers;
    }

    @Override
    public ByteBuffer bytes() {
        return data.nioBuffer().asReadOnlyBuffer();
    }

    @Override
    public int length() {
        return data.readableBytes();
    }

    @Override
    public boolean last() {
        return last;
    }

    @Override
    public void replace(ByteBuffer replacement) {
        // A writable heap buffer is the plugin's own memory: wrap it. Anything else may be a view of
        // the buffer released below (bytes() is read-only), or memory we do not own: copy it first.
        ByteBuf next = replacement.hasArray() && !replacement.isReadOnly()
                ? Unpooled.wrappedBuffer(replacement)
                : Unpooled.copiedBuffer(replacement);
        data.release();
        data = next;
        replaced = true;
    }

    /** Hands the buffer over; the part is empty afterwards. */
    ByteBuf take() {
        ByteBuf d = data;
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

    boolean replaced() {
        return replaced;
    }

    void release() {
        data.release();
        data = Unpooled.EMPTY_BUFFER;
    }
}
