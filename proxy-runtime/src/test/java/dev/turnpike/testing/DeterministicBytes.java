package dev.turnpike.testing;

import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Seeded pseudo-random content that a test can regenerate on its own side: {@link TestBackend}'s
 * {@code /bytes/<n>} serves it, and a test checks what arrived with {@link #sha256Hex(long, long)}
 * instead of keeping a copy of the body.
 *
 * <p>Byte {@code i} of the stream for seed {@code s} depends only on {@code (s, i)} (SplitMix64 of
 * the 8-byte word index, little-endian within the word), so any slice can be generated from its
 * offset and the content does not depend on how it was chunked.
 */
public final class DeterministicBytes {

    /** The seed {@link TestBackend} uses when a request names none. */
    public static final long DEFAULT_SEED = 0x7475726E70696B65L; // "turnpike"

    private static final int CHUNK = 64 * 1024;

    private DeterministicBytes() {
    }

    /** Fills {@code dst[off, off+len)} with the bytes at {@code [offset, offset+len)} of the stream for {@code seed}. */
    public static void fill(long seed, long offset, byte[] dst, int off, int len) {
        if (offset < 0 || off < 0 || len < 0 || off + len > dst.length) {
            throw new IndexOutOfBoundsException("offset " + offset + ", off " + off + ", len " + len);
        }
        long pos = offset;
        int i = off;
        int end = off + len;
        while (i < end) {
            long word = mix(seed, pos >>> 3);
            // Start mid-word when the slice does not begin on an 8-byte boundary.
            for (int b = (int) (pos & 7); b < 8 && i < end; b++, i++, pos++) {
                dst[i] = (byte) (word >>> (8 * b));
            }
        }
    }

    /** The first {@code n} bytes of the stream for {@code seed}, in memory: for small bodies only. */
    public static byte[] bytes(long seed, int n) {
        byte[] out = new byte[n];
        fill(seed, 0, out, 0, n);
        return out;
    }

    /** {@link #bytes(long, int)} with {@link #DEFAULT_SEED}. */
    public static byte[] bytes(int n) {
        return bytes(DEFAULT_SEED, n);
    }

    /**
     * The first {@code n} bytes of the stream as an {@link InputStream} that never holds more than
     * one read's worth: for request bodies of any size, e.g. {@code BodyPublishers.ofInputStream}.
     */
    public static InputStream stream(long seed, long n) {
        return new InputStream() {
            private long pos;

            @Override
            public int read() {
                if (pos >= n) {
                    return -1;
                }
                byte[] one = new byte[1];
                fill(seed, pos++, one, 0, 1);
                return one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                if (pos >= n) {
                    return -1;
                }
                int count = (int) Math.min(len, n - pos);
                fill(seed, pos, b, off, count);
                pos += count;
                return count;
            }

            @Override
            public int available() {
                return (int) Math.min(Integer.MAX_VALUE, n - pos);
            }
        };
    }

    /** SHA-256 (lower-case hex) of the first {@code n} bytes of the stream for {@code seed}, computed in 64 KiB slices. */
    public static String sha256Hex(long seed, long n) {
        MessageDigest digest = sha256();
        byte[] chunk = new byte[CHUNK];
        for (long pos = 0; pos < n; ) {
            int len = (int) Math.min(CHUNK, n - pos);
            fill(seed, pos, chunk, 0, len);
            digest.update(chunk, 0, len);
            pos += len;
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** SHA-256 (lower-case hex) of {@code data}. */
    public static String sha256Hex(byte[] data) {
        return HexFormat.of().formatHex(sha256().digest(data));
    }

    /** A fresh SHA-256 digest; every JDK has one, so absence is a broken JVM, not a test failure. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SplitMix64's finaliser over the word index: cheap, stateless, and well spread for any seed. */
    private static long mix(long seed, long index) {
        long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
