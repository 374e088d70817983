package dev.turnpike.runtime.exchange;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayDeque;

/**
 * What a retry would send again of a request body: retained views of the parts that went out (as
 * they came out of the body filters), up to {@code upstream.retry_body_limit}. Past the limit, or
 * once the backend answered, nothing more is kept and what was is let go: the body is then
 * "lost" for a resend. Confined to the request's event loop; {@link #release()} when it ends.
 */
final class KeptBody {

    private final boolean keeping;
    private final long limit;
    private ArrayDeque<ByteBuf> parts;
    private long bytes;
    private boolean end;
    private HttpHeaders trailers;
    private boolean lost;

    /** @param keeping whether anything is kept at all (the chain can ask for retries) */
    KeptBody(boolean keeping, long limit) {
        this.keeping = keeping && limit > 0;
        this.limit = limit;
    }

    /** Whether all that went out is here (false once anything went out past the limit, or unkept). */
    boolean intact() {
        return keeping && !lost;
    }

    /** A part that goes out now (the caller keeps its own reference); {@code last} with its trailers. */
    void keep(ByteBuf data, boolean last, HttpHeaders lastTrailers) {
        if (!keeping || lost) {
            return;
        }
        bytes += data.readableBytes();
        if (bytes > limit) {
            stop();
            return;
        }
        if (data.isReadable()) {
            if (parts == null) {
                parts = new ArrayDeque<>(4);
            }
            parts.add(data.retainedDuplicate());
        }
        if (last) {
            end = true;
            trailers = lastTrailers;
        }
    }

    /** Sends what is kept to {@code sink}, as new views, its end too if kept; returns how many bytes. */
    long replay(BodySink sink) {
        long sent = 0;
        if (parts != null) {
            for (ByteBuf b : parts) {
                sent += b.readableBytes();
                sink.writeBody(b.retainedDuplicate());
            }
        }
        if (end) {
            sink.endBody(trailers);
        }
        return sent;
    }

    /** Whether the kept body includes its end (the whole body went out and is here). */
    boolean hasEnd() {
        return end;
    }

    /** No resend from here on: nothing more is kept, and what was is let go. */
    void stop() {
        lost = true;
        release();
    }

    void release() {
        if (parts != null) {
            parts.forEach(ByteBuf::release);
            parts = null;
        }
    }
}
