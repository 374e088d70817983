package dev.turnpike.testkit.phases;

import dev.turnpike.api.BodyChunk;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * A {@link BodyChunk} in memory, as the body phases get it. {@link #bytes()} is a read-only view
 * from position 0, never a copy; {@link #replace} takes a writable heap buffer over without a copy
 * (from its position to its limit) and copies anything else (direct, read-only, or a view of
 * {@link #bytes()}), so replacing a chunk with a slice of itself works as in the runtime.
 *
 * <p>Unlike the runtime's, a fake chunk stays readable after the phase: the test reads what the
 * plugin made of it with {@link #bytes()} or {@link #text()}. {@link #replaced()} says whether the
 * plugin replaced (or cleared) it. Not thread-safe.
 */
public final class FakeBodyChunk implements BodyChunk {

    private ByteBuffer data;
    private final boolean last;
    private boolean replaced;

    private FakeBodyChunk(ByteBuffer data, boolean last) {
        this.data = data;
        this.last = last;
    }

    /** A chunk of these bytes (copied); {@code last} when no chunk follows. */
    public static FakeBodyChunk of(byte[] bytes, boolean last) {
        return new FakeBodyChunk(ByteBuffer.wrap(bytes.clone()), last);
    }

    /** A chunk of {@code text} in UTF-8; {@code last} when no chunk follows. */
    public static FakeBodyChunk of(String text, boolean last) {
        return of(text.getBytes(StandardCharsets.UTF_8), last);
    }

    @Override
    public ByteBuffer bytes() {
        ByteBuffer view = data.asReadOnlyBuffer();
        view.position(0);
        return view;
    }

    @Override
    public int length() {
        return data.limit();
    }

    @Override
    public boolean last() {
        return last;
    }

    @Override
    public void replace(ByteBuffer replacement) {
        ByteBuffer next;
        if (replacement.hasArray() && !replacement.isReadOnly()) {
            next = replacement.slice();
        } else {
            next = ByteBuffer.allocate(replacement.remaining());
            next.put(replacement.duplicate());
            next.flip();
        }
        data = next;
        replaced = true;
    }

    /** Whether a plugin replaced or cleared the chunk. */
    public boolean replaced() {
        return replaced;
    }

    /** A copy of the chunk's bytes now. */
    public byte[] toByteArray() {
        ByteBuffer b = bytes();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** The chunk's bytes now, as UTF-8 text. */
    public String text() {
        return text(StandardCharsets.UTF_8);
    }

    @Override
    public String text(Charset charset) {
        return charset.decode(bytes()).toString();
    }

    @Override
    public String toString() {
        return (last ? "last chunk of " : "chunk of ") + length() + " bytes";
    }
}
