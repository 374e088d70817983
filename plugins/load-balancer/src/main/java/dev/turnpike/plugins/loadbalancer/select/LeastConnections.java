package dev.turnpike.plugins.loadbalancer.select;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import java.util.function.IntUnaryOperator;

/**
 * Weighted least connections: picks the eligible backend with the fewest in-flight requests per
 * unit of weight. Ties are broken by rotation (the scan starts one backend further on each call),
 * so equally loaded backends share the load evenly rather than the lowest index taking it all.
 *
 * <p>Thread-safe; {@link #select} never blocks and allocates nothing. The counts are read without
 * synchronisation, so concurrent picks may both see the same backend as least loaded; that is the
 * usual, accepted imprecision of least connections. The {@code hash} argument is ignored.
 */
public final class LeastConnections implements Selector {

    private final int[] weights;
    private final IntUnaryOperator activeRequests;
    private final AtomicInteger start = new AtomicInteger();

    /**
     * @param weights        one weight per backend, each >= 1; copied
     * @param activeRequests {@code applyAsInt(i)} is backend {@code i}'s current number of
     *                       in-flight requests, maintained by the caller; must be cheap,
     *                       non-blocking and thread-safe; negative values count as 0
     * @throws IllegalArgumentException if {@code weights} is empty or a weight is below 1
     */
    public LeastConnections(int[] weights, IntUnaryOperator activeRequests) {
        if (weights == null || weights.length == 0) {
            throw new IllegalArgumentException("weights: need at least one backend");
        }
        if (activeRequests == null) {
            throw new IllegalArgumentException("activeRequests: required");
        }
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] < 1) {
                throw new IllegalArgumentException("weights[" + i + "]: must be >= 1, was " + weights[i]);
            }
        }
        this.weights = weights.clone();
        this.activeRequests = activeRequests;
    }

    /**
     * Picks the eligible backend with the lowest {@code active / weight}.
     *
     * @param hash     ignored
     * @param eligible which backends may be chosen
     * @return the chosen backend's index, or -1 when no backend is eligible
     */
    @Override
    public int select(long hash, IntPredicate eligible) {
        int[] w = weights;
        int n = w.length;
        int turn = start.getAndIncrement();
        // First pass: the lowest active/weight, and how many backends share it.
        int first = -1;
        long bestActive = 0;
        long bestWeight = 1;
        int ties = 0;
        for (int i = 0; i < n; i++) {
            if (!eligible.test(i)) {
                continue;
            }
            long active = active(i);
            long lhs = active * bestWeight;
            long rhs = bestActive * w[i];
            if (first < 0 || lhs < rhs) {
                first = i;
                bestActive = active;
                bestWeight = w[i];
                ties = 1;
            } else if (lhs == rhs) {
                ties++;
            }
        }
        if (ties <= 1) {
            return first;
        }
        // Second pass: the turn-th of the tied backends, so ties share evenly whoever else is busy
        // (rotating the scan's start instead would favour the backend after a busy one).
        int pick = Math.floorMod(turn, ties);
        for (int i = 0; i < n; i++) {
            if (eligible.test(i) && active(i) * bestWeight == bestActive * w[i] && pick-- == 0) {
                return i;
            }
        }
        return first; // the counts moved between the passes: the first pass's choice is still good
    }

    /** A caller's decrement racing ahead of its increment can briefly read negative. */
    private long active(int i) {
        return Math.max(0, activeRequests.applyAsInt(i));
    }
}
