package dev.turnpike.runtime.wire;

import io.netty.util.AsciiString;
import java.util.Arrays;

/**
 * The field names the decoders have seen, kept as they were written (case included), so a name a
 * connection sends again and again becomes the same {@link AsciiString} each time: one that starts
 * at offset 0 of its own array and carries its hash. Netty's header table compares names
 * case-insensitively on every lookup, and for a slice into a head's array (offset not 0) it takes a
 * byte-at-a-time path; measured on the load-balancer benchmark, that path alone was 6% of the CPU
 * samples before this cache.
 *
 * <p>Shared by every event loop without a lock: a slot is overwritten whole, and an AsciiString's
 * fields are final, so a loop that reads a slot another wrote sees a complete name or an older one,
 * and a miss only costs a new name. Long names are not kept, so the cache stays small (at most
 * {@value #SLOTS} names of up to {@value #MAX_CACHED} bytes) whatever clients send.
 */
final class HeaderNameCache {

    private static final int SLOTS = 512;
    private static final int MAX_CACHED = 64;
    private static final AsciiString[] NAMES = new AsciiString[SLOTS];

    private HeaderNameCache() {
    }

    static AsciiString name(byte[] a, int from, int length) {
        if (length > MAX_CACHED) {
            return new AsciiString(a, from, length, true);
        }
        int h = 0;
        for (int i = from, end = from + length; i < end; i++) {
            h = 31 * h + a[i];
        }
        int slot = (h ^ (h >>> 16)) & (SLOTS - 1);
        AsciiString known = NAMES[slot];
        if (known != null && known.length() == length
                && Arrays.equals(known.array(), known.arrayOffset(), known.arrayOffset() + length, a, from, from + length)) {
            return known;
        }
        AsciiString name = new AsciiString(a, from, length, true);
        NAMES[slot] = name;
        return name;
    }
}
