package dev.turnpike.runtime.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Pins down {@link BodyPart}, the body chunk the body phases see: {@link BodyPart#bytes()} is a
 * read-only view of the data; a replacement the plugin owns (a byte array, a writable heap buffer)
 * is taken without a copy, and anything else (read-only, direct, a view of the part's own bytes) is
 * copied before the old buffer is released, so the new content never depends on released memory;
 * {@link BodyPart#take()} hands the buffer over; the text helpers and {@code clear()} of the API.
 */
class BodyPartTest {

    private BodyPart part;

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    /** The part's content, read by taking its buffer (and releasing it). */
    private static String drain(BodyPart p) {
        ByteBuf b = p.take();
        try {
            return b.toString(StandardCharsets.ISO_8859_1);
        } finally {
            b.release();
        }
    }

    @AfterEach
    void releasePart() {
        if (part != null) {
            part.release();
        }
    }

    @Test
    void bytesIsAReadOnlyViewOfTheData() {
        ByteBuf data = ascii("hello");
        part = new BodyPart(data, false, null);

        ByteBuffer view = part.bytes();
        assertTrue(view.isReadOnly());
        assertEquals(0, view.position());
        assertEquals(5, view.remaining());
        assertEquals(5, part.length());
        assertEquals("hello", part.text(StandardCharsets.US_ASCII));
        assertThrows(ReadOnlyBufferException.class, () -> view.put(0, (byte) 'j'));

        data.setByte(0, 'j'); // a view, not a copy: it shows the buffer as it is now
        assertEquals('j', view.get(0));
    }

    @Test
    void lastAndTrailersAreAsGiven() {
        HttpHeaders trailers = new DefaultHttpHeaders().add("Checksum", "abc");
        part = new BodyPart(Unpooled.EMPTY_BUFFER, true, trailers);

        assertTrue(part.last());
        assertSame(trailers, part.trailers());
        assertEquals(0, part.length());
        assertFalse(new BodyPart(Unpooled.EMPTY_BUFFER, false, null).last());
        assertNull(new BodyPart(Unpooled.EMPTY_BUFFER, false, null).trailers());
    }

    @Test
    void aReplacementAfterThePartWasDroppedIsReleasedNotKept() throws Exception {
        part = new BodyPart(ascii("old"), false, null);
        part.release(); // the loop gave up on the stage (a timeout, the client left)
        ByteBuffer late = ByteBuffer.allocateDirect(4).put("late".getBytes(StandardCharsets.US_ASCII)).flip();
        Thread plugin = new Thread(() -> part.replace(late)); // the thread completing the stage
        plugin.start();
        plugin.join();
        assertEquals(0, part.length(), "nothing of the late bytes is kept");
    }

    @Test
    void aReplacementFromAnotherThreadIsTakenOverOnTheNextLook() throws Exception {
        ByteBuf old = ascii("old");
        part = new BodyPart(old, false, null);
        Thread plugin = new Thread(() -> part.replace("new".getBytes(StandardCharsets.US_ASCII)));
        plugin.start();
        plugin.join();
        assertEquals(1, old.refCnt(), "the loop's buffer is not touched from the plugin's thread");
        assertEquals("new", drain(part));
        assertEquals(0, old.refCnt());
    }

    @Test
    void aByteArrayIsTakenWithoutACopy() {
        ByteBuf old = ascii("old");
        part = new BodyPart(old, false, null);
        byte[] replacement = "new!".getBytes(StandardCharsets.US_ASCII);

        part.replace(replacement);
        replacement[0] = 'N'; // the API says not to; here it shows that no copy was made

        part.length(); // the loop's next look at the part takes the replacement over
        assertEquals(0, old.refCnt(), "the old buffer is released");
        assertEquals(4, part.length());
        assertEquals("New!", drain(part));
    }

    @Test
    void aWritableHeapBufferIsTakenWithoutACopyFromItsPositionToItsLimit() {
        ByteBuf old = ascii("old");
        part = new BodyPart(old, false, null);
        byte[] array = "xxabcdyy".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer replacement = ByteBuffer.wrap(array, 2, 4);

        part.replace(replacement);
        array[2] = 'A';

        part.length();
        assertEquals(0, old.refCnt());
        assertEquals("Abcd", drain(part));
    }

    @Test
    void aReadOnlyBufferIsCopied() {
        part = new BodyPart(ascii("old"), false, null);
        byte[] array = "abcd".getBytes(StandardCharsets.US_ASCII);

        part.replace(ByteBuffer.wrap(array).asReadOnlyBuffer());
        Arrays.fill(array, (byte) 'Z');

        assertEquals("abcd", drain(part));
    }

    @Test
    void aDirectBufferIsCopied() {
        part = new BodyPart(ascii("old"), false, null);
        ByteBuffer direct = ByteBuffer.allocateDirect(8);
        direct.put("abcd".getBytes(StandardCharsets.US_ASCII)).flip();

        part.replace(direct);
        direct.put(0, (byte) 'Z');

        assertEquals("abcd", drain(part));
    }

    @Test
    void aSliceOfItsOwnBytesIsCopiedBeforeTheOldBufferIsReleased() {
        byte[] backing = "hello world".getBytes(StandardCharsets.US_ASCII);
        ByteBuf original = Unpooled.wrappedBuffer(backing);
        part = new BodyPart(original, false, null);

        ByteBuffer view = part.bytes();
        view.position(6);
        part.replace(view.slice());
        part.length();
        assertEquals(0, original.refCnt(), "the old buffer is released");
        Arrays.fill(backing, (byte) 'Z'); // whatever happens to the released memory now

        assertEquals("world", part.text(StandardCharsets.US_ASCII));
        assertEquals("world", drain(part));
    }

    @Test
    void aViewOfAPooledDirectPartIsCopiedToo() {
        ByteBuf original = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        original.writeCharSequence("direct bytes", StandardCharsets.US_ASCII);
        part = new BodyPart(original, false, null);

        part.replace(part.bytes());
        part.length();

        assertEquals(0, original.refCnt());
        // Reuse the pool's memory, so a replacement still pointing into it would show the change.
        ByteBuf reuse = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        try {
            reuse.writeCharSequence("XXXXXXXXXXXX", StandardCharsets.US_ASCII);
            assertEquals("direct bytes", drain(part));
        } finally {
            reuse.release();
        }
    }

    @Test
    void takeHandsTheBufferOverAndLeavesThePartEmpty() {
        ByteBuf data = ascii("payload");
        part = new BodyPart(data, true, null);

        ByteBuf taken = part.take();
        try {
            assertSame(data, taken);
            assertEquals(1, taken.refCnt(), "still alive: it is the taker's to release");
            assertEquals(0, part.length());
            assertEquals("", part.text(StandardCharsets.US_ASCII));
            part.release(); // releasing an emptied part does not touch the buffer handed over
            assertEquals(1, taken.refCnt());
        } finally {
            taken.release();
        }
    }

    @Test
    void replaceWithTextEncodesIt() {
        part = new BodyPart(ascii("old"), false, null);

        part.replace("h\u00e9llo \u2603", StandardCharsets.UTF_8);

        assertEquals(10, part.length());
        assertEquals("h\u00e9llo \u2603", part.text(StandardCharsets.UTF_8));
    }

    @Test
    void clearDropsTheBytesButNotTheEnd() {
        ByteBuf old = ascii("something");
        part = new BodyPart(old, true, null);

        part.clear();
        part.length();

        assertEquals(0, old.refCnt());
        assertEquals(0, part.length());
        assertEquals("", part.text(StandardCharsets.UTF_8));
        assertTrue(part.last());
    }

    @Test
    void textDecodesInTheGivenCharset() {
        part = new BodyPart(Unpooled.copiedBuffer("gr\u00fc\u00df", StandardCharsets.ISO_8859_1), false, null);

        assertEquals("gr\u00fc\u00df", part.text(StandardCharsets.ISO_8859_1));
        assertEquals(4, part.length());
    }
}
