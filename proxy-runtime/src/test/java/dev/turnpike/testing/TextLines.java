package dev.turnpike.testing;

import java.nio.charset.StandardCharsets;

/**
 * Text a test can regenerate on its own side: one line repeated without end, as {@link TestBackend}'s
 * {@code /text/<n>} serves it. Byte {@code i} is {@code LINE[i % LINE.length]}.
 */
public final class TextLines {

    /** The repeated line, 44 bytes. */
    public static final String LINE = "the quick brown fox jumps over the lazy dog\n";
    private static final byte[] BYTES = LINE.getBytes(StandardCharsets.US_ASCII);

    private TextLines() {
    }

    /** Fills {@code dst[off, off+len)} with the bytes at {@code [offset, offset+len)} of the text. */
    public static void fill(long offset, byte[] dst, int off, int len) {
        int at = (int) (offset % BYTES.length);
        for (int i = off; i < off + len; i++) {
            dst[i] = BYTES[at];
            at = at + 1 == BYTES.length ? 0 : at + 1;
        }
    }
}
