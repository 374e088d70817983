package dev.turnpike.plugins.loadbalancer.select;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;

/**
 * nginx's smooth weighted round robin: over each cycle backend {@code i} gets exactly its weight's
 * share, spread out rather than in bursts (weights 5,3,1 never give backend 0 more than twice in a
 * row). Equal weights give plain rotation 0,1,2,0,1,2...
 *
 * <p>The sequence nginx would produce is computed once in the constructor (weights divided by their
 * gcd first, so the cycle is as short as possible); {@link #select} then only indexes it with one
 * shared atomic cursor, which keeps the rotation exact across all event loops without a lock.
 *
 * <p>Thread-safe; {@link #select} never blocks and allocates nothing. The {@code hash} argument is
 * ignored.
 */
public final class SmoothWeightedRoundRobin implements Selector {

    /** Largest cycle accepted: the sequence is held in memory, 4 bytes a pick. */
    private static final int MAX_SEQUENCE_LENGTH = 1_000_000;

    private final int backends;
    private final int[] seq;
    /** Never wraps in practice (2^63 picks), so the modulo stays an exact rotation. */
    private final AtomicLong cursor = new AtomicLong();

    /**
     * @param weights one weight per backend, each >= 1; not retained
     * @throws IllegalArgumentException if {@code weights} is empty, a weight is below 1, or the
     *                                  weights divided by their gcd add up to more than
     *                                  1,000,000
     */
    public SmoothWeightedRoundRobin(int[] weights) {
        if (weights == null || weights.length == 0) {
            throw new IllegalArgumentException("weights: need at least one backend");
        }
        int g = 0;
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] < 1) {
                throw new IllegalArgumentException("weights[" + i + "]: must be >= 1, was " + weights[i]);
            }
            g = gcd(g, weights[i]);
        }
        int n = weights.length;
        long[] w = new long[n];
        long total = 0;
        for (int i = 0; i < n; i++) {
            w[i] = weights[i] / g;
            total += w[i];
        }
        if (total > MAX_SEQUENCE_LENGTH) {
            throw new IllegalArgumentException("weights: reduced sum " + total + " exceeds "
                    + MAX_SEQUENCE_LENGTH + "; use smaller weights");
        }
        int len = (int) total;
        int[] s = new int[len];
        long[] current = new long[n];
        for (int step = 0; step < len; step++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                current[i] += w[i];
                // Strict '>' keeps the lowest index on ties, which is what makes equal weights a
                // plain 0,1,2 rotation.
                if (best < 0 || current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            s[step] = best;
        }
        this.backends = n;
        this.seq = s;
    }

    /**
     * Picks the next backend of the sequence; if it is not eligible, the next eligible one after it
     * in the sequence, and failing that any eligible backend.
     *
     * <p>When backends are skipped, the shared cursor is advanced past them too, so the skipped
     * backend's turns are spread over the eligible ones instead of all going to its successor.
     *
     * @param hash     ignored
     * @param eligible which backends may be chosen
     * @return the chosen backend's index, or -1 when no backend is eligible
     */
    @Override
    public int select(long hash, IntPredicate eligible) {
        int[] s = seq;
        int len = s.length;
        int pos = (int) Math.floorMod(cursor.getAndIncrement(), (long) len);
        int first = s[pos];
        if (eligible.test(first)) {
            return first;
        }
        int n = backends;
        // A bitmask of backends already found ineligible, so a long sequence (up to a million
        // entries) is not walked to its end when every backend is down; only for groups that fit.
        boolean tracked = n <= 64;
        long all = n == 64 ? -1L : (1L << n) - 1;
        long seen = tracked ? 1L << first : 0L;
        int p = pos;
        for (int k = 1; k < len && !(tracked && seen == all); k++) {
            if (++p == len) {
                p = 0;
            }
            int b = s[p];
            if (tracked && (seen & (1L << b)) != 0) {
                continue;
            }
            if (eligible.test(b)) {
                // Otherwise the next caller would land on the ineligible stretch again and this
                // same successor would absorb every skipped turn (double share).
                cursor.getAndAdd(k);
                return b;
            }
            if (tracked) {
                seen |= 1L << b;
            }
        }
        for (int i = 0; i < n; i++) {
            if (tracked && (seen & (1L << i)) != 0) {
                continue;
            }
            if (eligible.test(i)) {
                return i;
            }
        }
        return -1;
    }


    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
