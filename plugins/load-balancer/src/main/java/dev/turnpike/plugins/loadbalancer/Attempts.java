package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.plugins.loadbalancer.health.BackendHealth;
import java.util.BitSet;
import java.util.function.IntPredicate;

/**
 * One request's dealings with the balancer (its per-request context): the group it went to, the
 * backends it tried, and the one it holds now. It is also the eligibility test handed to the
 * group's selector, so that choosing allocates nothing. Event-loop confined, like the request.
 */
final class Attempts implements IntPredicate {

    /** Which backends the next selection may choose (besides: not yet tried by this request). */
    enum Eligible {
        /** Up, or down with its single trial due: the normal case. */
        HEALTHY,
        /** Any with a verdict, up or down (a group in panic); not one awaiting its first check. */
        JUDGED,
        /** Any at all ({@code when_all_down: fail_open}). */
        ANY
    }

    Group group;
    /** The backend the request holds now (counted in its in-flight requests), or -1. */
    int current = -1;
    /** Whether {@link #current} is a down backend's single trial request. */
    boolean trial;
    /** Whether any backend was tried: then "nothing left" is a 502, not the 503 of "all down". */
    boolean triedAny;
    /** Retries this plugin asked for (the runtime's own resends on a fresh connection do not count). */
    int retries;
    private long tried;
    private BitSet triedBeyond64;

    // The eligibility test's inputs, set by the group before each selection.
    BackendHealth[] health;
    long nowNanos;
    boolean activeCheck;
    Eligible eligible = Eligible.HEALTHY;
    /** Down backends whose single trial another request took meanwhile (first 64 only). */
    long lostTrials;

    @Override
    public boolean test(int b) {
        if (tried(b)) {
            return false;
        }
        if (eligible == Eligible.ANY) {
            return true;
        }
        if (eligible == Eligible.JUDGED) {
            return health[b].state() != BackendHealth.State.AWAITING_CHECK;
        }
        return (b >= 64 || (lostTrials & (1L << b)) == 0) && health[b].selectable(nowNanos, activeCheck);
    }

    boolean tried(int index) {
        if (index < 64) {
            return (tried & (1L << index)) != 0;
        }
        return triedBeyond64 != null && triedBeyond64.get(index);
    }

    void markTried(int index) {
        triedAny = true;
        if (index < 64) {
            tried |= 1L << index;
        } else {
            if (triedBeyond64 == null) {
                triedBeyond64 = new BitSet();
            }
            triedBeyond64.set(index);
        }
    }
}
