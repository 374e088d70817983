package com.example.rewrite;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Replaces every occurrence of one byte string with another in a stream that arrives in pieces,
 * holding nothing but the few bytes at the end of a piece that could be the start of a match split
 * across two pieces. One per response; not thread-safe (a request's phases run on one thread).
 */
final class StreamingReplace {

    private final byte[] find;
    private final byte[] replacement;
    /** The tail of the last piece that may begin a match: fewer than find.length bytes. */
    private byte[] carry = new byte[0];

    StreamingReplace(byte[] find, byte[] replacement) {
        if (find.length == 0) {
            throw new IllegalArgumentException("nothing to find");
        }
        this.find = find;
        this.replacement = replacement;
    }

    /** The output for the next piece; {@code last} flushes what was held back. */
    byte[] next(ByteBuffer piece, boolean last) {
        byte[] in = new byte[carry.length + piece.remaining()];
        System.arraycopy(carry, 0, in, 0, carry.length);
        piece.get(in, carry.length, piece.remaining());
        // Below this index a match, if one starts there, lies wholly inside `in`.
        int safe = last ? in.length : in.length - (find.length - 1);
        Output out = new Output(in.length + 16);
        int i = 0;
        while (i < in.length) {
            if (i + find.length <= in.length && startsWith(in, i)) {
                out.write(replacement, 0, replacement.length);
                i += find.length;
            } else if (i < safe) {
                out.write(in[i]);
                i++;
            } else {
                break; // may be the start of a match that the next piece completes
            }
        }
        carry = Arrays.copyOfRange(in, i, in.length);
        return out.toArray();
    }

    private boolean startsWith(byte[] in, int at) {
        for (int k = 0; k < find.length; k++) {
            if (in[at + k] != find[k]) {
                return false;
            }
        }
        return true;
    }

    /** A growable byte array without ByteArrayOutputStream's synchronisation. */
    private static final class Output {
        private byte[] bytes;
        private int size;

        Output(int capacity) {
            bytes = new byte[Math.max(16, capacity)];
        }

        void write(int b) {
            ensure(1);
            bytes[size++] = (byte) b;
        }

        void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, bytes, size, len);
            size += len;
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }

        byte[] toArray() {
            return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
        }
    }
}
