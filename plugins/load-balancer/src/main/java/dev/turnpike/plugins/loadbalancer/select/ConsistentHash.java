package dev.turnpike.plugins.loadbalancer.select;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Ketama-style consistent hashing: each backend owns 160 points per unit of
 * weight on a ring of 64-bit hashes, and a request goes to the owner of the first point at or after
 * its key hash.
 *
 * <p>Points are placed by hashing the backend's id ({@code Hashing.hash64(id + "#" + k)}), never
 * its index, so rings built from different lists of the same ids agree: removing a backend from
 * the list moves only the keys it owned, and marking it ineligible moves those same keys the same
 * way (to the next owner clockwise).
 *
 * <p>Thread-safe (immutable after construction); {@link #select} never blocks and allocates
 * nothing.
 */
public final class ConsistentHash implements Selector {

    /** Points per unit of weight; 160 as in ketama, which keeps shares within a few percent. */
    private static final int POINTS_PER_WEIGHT = 160;
    /** Largest ring accepted: 12 bytes a point, so about 19 MB. */
    private static final int MAX_POINTS = 1_600_000;

    private final int backends;
    /** Sorted ascending (signed order; any fixed order works as long as lookups use the same). */
    private final long[] points;
    /** owners[j] is the backend index owning points[j]. */
    private final int[] owners;

    /**
     * @param ids     one stable, distinct id per backend, such as {@code "10.0.0.1:8080"}
     * @param weights one weight per backend, each >= 1
     * @throws IllegalArgumentException if the arrays are empty or differ in length, an id is null
     *                                  or repeated, a weight is below 1, or the ring would exceed
     *                                  1,600,000 points
     */
    public ConsistentHash(String[] ids, int[] weights) {
        if (ids == null || weights == null || ids.length == 0) {
            throw new IllegalArgumentException("ids: need at least one backend");
        }
        if (ids.length != weights.length) {
            throw new IllegalArgumentException("ids and weights differ in length: "
                    + ids.length + " vs " + weights.length);
        }
        int n = ids.length;
        Set<String> distinct = new HashSet<>();
        long total = 0;
        for (int i = 0; i < n; i++) {
            if (ids[i] == null) {
                throw new IllegalArgumentException("ids[" + i + "]: null");
            }
            if (!distinct.add(ids[i])) {
                // Same id, same points: the second copy would get next to nothing. Weight it instead.
                throw new IllegalArgumentException("ids[" + i + "]: duplicate " + ids[i] + "; use a weight");
            }
            if (weights[i] < 1) {
                throw new IllegalArgumentException("weights[" + i + "]: must be >= 1, was " + weights[i]);
            }
            total += (long) POINTS_PER_WEIGHT * weights[i];
        }
        if (total > MAX_POINTS) {
            throw new IllegalArgumentException("weights: ring of " + total + " points exceeds " + MAX_POINTS);
        }
        int len = (int) total;
        long[] raw = new long[len];
        int[] rawOwner = new int[len];
        int j = 0;
        StringBuilder key = new StringBuilder();
        for (int i = 0; i < n; i++) {
            for (int k = 0, m = POINTS_PER_WEIGHT * weights[i]; k < m; k++) {
                key.setLength(0);
                key.append(ids[i]).append('#').append(k);
                raw[j] = Hashing.hash64(key);
                rawOwner[j] = i;
                j++;
            }
        }
        Integer[] order = new Integer[len];
        for (int k = 0; k < len; k++) {
            order[k] = k;
        }
        // Colliding points are ordered by id, not index, so the ring does not depend on list order.
        Arrays.sort(order, (a, b) -> {
            int c = Long.compare(raw[a], raw[b]);
            return c != 0 ? c : ids[rawOwner[a]].compareTo(ids[rawOwner[b]]);
        });
        long[] p = new long[len];
        int[] o = new int[len];
        for (int k = 0; k < len; k++) {
            p[k] = raw[order[k]];
            o[k] = rawOwner[order[k]];
        }
        this.backends = n;
        this.points = p;
        this.owners = o;
    }

    /**
     * Picks the owner of the first point at or after {@code hash} (wrapping past the largest point
     * to the smallest), walking on clockwise past ineligible owners.
     *
     * @param hash     the request's key hash, normally {@link Hashing#hash64} of the key
     * @param eligible which backends may be chosen
     * @return the chosen backend's index, or -1 when no backend is eligible
     */
    @Override
    public int select(long hash, IntPredicate eligible) {
        long[] p = points;
        int[] o = owners;
        int len = p.length;
        int pos = lowerBound(p, hash);
        if (pos == len) {
            pos = 0;
        }
        int n = backends;
        // Stops the walk once every backend has been found ineligible, rather than walking all
        // 160 x weight points per backend; only for groups that fit in a long.
        boolean tracked = n <= 64;
        long all = n == 64 ? -1L : (1L << n) - 1;
        long seen = 0;
        for (int k = 0; k < len; k++) {
            int b = o[pos];
            if (!tracked || (seen & (1L << b)) == 0) {
                if (eligible.test(b)) {
                    return b;
                }
                if (tracked) {
                    seen |= 1L << b;
                    if (seen == all) {
                        return -1;
                    }
                }
            }
            if (++pos == len) {
                pos = 0;
            }
        }
        return -1;
    }


    /** First index whose point is >= key, or a.length if none. */
    private static int lowerBound(long[] a, long key) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
