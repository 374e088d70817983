package dev.turnpike.plugins.loadbalancer.select;

/**
 * The 64-bit hash shared by request keys and {@link ConsistentHash} ring points, so both sides of
 * the ring lookup agree.
 *
 * <p>Stateless and thread-safe; allocates nothing.
 */
public final class Hashing {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private Hashing() {
    }

    /**
     * A well-mixed 64-bit hash of {@code s}'s UTF-16 chars: FNV-1a 64 followed by murmur3's
     * fmix64 finalizer. Stable across JVMs and releases (ring placement depends on it), so it must
     * never change once backends have been placed with it.
     *
     * @param s the text to hash; not null
     * @return the hash, any of the 2^64 values
     */
    public static long hash64(CharSequence s) {
        long h = FNV_OFFSET;
        for (int i = 0, n = s.length(); i < n; i++) {
            h ^= s.charAt(i);
            h *= FNV_PRIME;
        }
        // FNV-1a alone mixes its last chars poorly into the high bits, which the ring's ordering
        // depends on most; fmix64 spreads every input bit over the whole word.
        return fmix64(h);
    }

    /** A well-mixed 64-bit hash of a number (an IPv4 address, say), with no text made for it. */
    public static long hash64(long n) {
        return fmix64(n ^ FNV_OFFSET);
    }

    private static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
