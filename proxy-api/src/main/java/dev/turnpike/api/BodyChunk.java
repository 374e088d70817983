package dev.turnpike.api;

import java.nio.ByteBuffer;
import java.nio.charset.Charset;

/**
 * One piece of a message body on its way through the body phases
 * ({@link ProxyPlugin#requestBodyFilter} and {@link ProxyPlugin#responseBodyFilter}), as the runtime
 * read it, or as an earlier plugin of the chain replaced it.
 *
 * <p>The bytes are the runtime's: {@link #bytes()} is a read-only view, valid only during the call
 * (or, when the phase returned {@link Outcome#later}, until its stage completes, and never past
 * {@code plugins.phase_timeout} or the end of the request). To change the
 * body, {@link #replace} the chunk; to add to the end of the body, replace the {@link #last() last}
 * chunk with itself plus the addition; to drop a chunk, {@link #clear()} it.
 *
 * <p>Confined to the request's event loop, except that a plugin whose phase returned
 * {@link Outcome#later} may call {@link #replace} from the thread that completes the stage, before
 * it completes it (never after). A replacement that comes after the request gave up on the stage
 * is released, not sent.
 */
public interface BodyChunk {

    /** The chunk's bytes, as a read-only buffer from position 0; a view, never a copy. */
    ByteBuffer bytes();

    /** The number of bytes in the chunk (0 for an empty last chunk). */
    int length();

    /**
     * Whether this is the end of the body: no chunk follows. Every body that has one ends with a
     * call where this is true; that chunk may be empty.
     */
    boolean last();

    /**
     * Replaces the chunk's bytes with {@code data}, from its position to its limit. A writable heap
     * buffer is taken over without a copy: do not change it afterwards. Any other buffer (direct,
     * read-only, a view of {@link #bytes()}) is copied.
     */
    void replace(ByteBuffer data);

    /** Replaces the chunk's bytes with {@code data}, taken over without a copy: do not change it afterwards. */
    default void replace(byte[] data) {
        replace(ByteBuffer.wrap(data));
    }

    /** Replaces the chunk's bytes with {@code text} encoded in {@code charset}. */
    default void replace(CharSequence text, Charset charset) {
        replace(charset.encode(java.nio.CharBuffer.wrap(text)));
    }

    /** Drops the chunk's bytes: nothing of it goes on (the end of the body still does, if {@link #last()}). */
    default void clear() {
        replace(new byte[0]);
    }

    /** The chunk's bytes decoded as text. */
    default String text(Charset charset) {
        return charset.decode(bytes()).toString();
    }
}
