package dev.turnpike.testkit.phases;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FakeBodyChunkTest {

    @Test
    void bytesIsAReadOnlyViewFromPositionZero() {
        FakeBodyChunk c = FakeBodyChunk.of("hello", false);
        ByteBuffer b = c.bytes();
        assertTrue(b.isReadOnly());
        assertEquals(0, b.position());
        assertEquals(5, c.length());
        assertFalse(c.last());
        b.get(); // reading one view does not move the next
        assertEquals(0, c.bytes().position());
        assertThrows(ReadOnlyBufferException.class, () -> c.bytes().put(0, (byte) 'j'));
        assertEquals("hello", c.text());
        assertFalse(c.replaced());
    }

    @Test
    void aWritableHeapBufferIsTakenOverWithoutACopyFromItsPosition() {
        FakeBodyChunk c = FakeBodyChunk.of("x", true);
        byte[] mine = "__abc".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.wrap(mine);
        b.position(2);
        c.replace(b);
        assertEquals("abc", c.text());
        mine[2] = 'z'; // taken over, not copied: a change shows (which is why the contract says do not)
        assertEquals("zbc", c.text());
        assertTrue(c.replaced());
        assertTrue(c.last());
    }

    @Test
    void aViewOfItsOwnBytesOrAReadOnlyBufferIsCopied() {
        FakeBodyChunk c = FakeBodyChunk.of("hello world", false);
        ByteBuffer tail = c.bytes();
        tail.position(6);
        c.replace(tail);
        assertEquals("world", c.text());
        ByteBuffer ro = ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII)).asReadOnlyBuffer();
        c.replace(ro);
        assertEquals("abc", c.text());
        c.replace(ByteBuffer.allocateDirect(2).put((byte) 'o').put((byte) 'k').flip());
        assertEquals("ok", c.text());
    }

    @Test
    void clearAndTheDefaultReplacements() {
        FakeBodyChunk c = FakeBodyChunk.of(new byte[] {1, 2, 3}, true);
        c.replace("é", StandardCharsets.UTF_8);
        assertArrayEquals("é".getBytes(StandardCharsets.UTF_8), c.toByteArray());
        c.clear();
        assertEquals(0, c.length());
        assertEquals("", c.text());
        assertTrue(c.last(), "the end of the body still goes");
        assertEquals("last chunk of 0 bytes", c.toString());
    }
}
