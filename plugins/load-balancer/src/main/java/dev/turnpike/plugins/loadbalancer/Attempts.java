package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.plugins.loadbalancer.health.BackendHealth;
import java.util.BitSet;
import java.util.function.IntPredicate;

/**
 * One request's dealings with the balancer (its per-request context; a tcp connection's too): the
 * group it went to, the backends it tried, and the one it holds now, with what its end or failure
 * tells of that backend. It is also the eligibility test handed to the group's selector, so that
 * choosing allocates nothing. Event-loop confined, like the request.
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

    // ------------------------------------------------------------------ the backend held

    /** Whether the request holds a backend now. */
    boolean holds() {
        return current >= 0;
    }

    /**
     * The attempt on the held backend failed: the failure counts against it (passive health), the
     * request lets it go, and the answer says whether to try another: while the failure is
     * retryable, {@code max_retries} allows and an untried backend is left.
     */
    boolean failed(UpstreamFailure failure) {
        Group g = group;
        if (g == null || current < 0 || !g.peer(current).equals(failure.peer())) {
            return false; // another plugin's peer
        }
        countFailure(failure.kind().name().toLowerCase() + ": " + describe(failure.cause()));
        release();
        if (failure.retryable() && retries < g.settings.maxRetries() && g.hasCandidate(this)) {
            retries++;
            return true;
        }
        return false;
    }

    /** The held backend served the request (or relayed the connection): its failure streak ends. */
    void countSuccess() {
        group.health[current].succeeded(trial, group.panic);
    }

    /** The held backend failed the request in a way passive health counts ({@code detail} says how). */
    void countFailure(String detail) {
        group.health[current].failed(detail, trial, group.settings.passive(), System.nanoTime(), group.panic,
                group.ejections);
    }

    /** The request lets its backend go (its in-flight count drops, and a trial it held ends). */
    void release() {
        if (current >= 0) {
            BackendHealth h = group.health[current];
            h.active().decrementAndGet();
            if (trial) {
                h.trialAbandoned(); // already settled when it had a verdict; this covers the rest
            }
            current = -1;
            trial = false;
        }
    }

    private static String describe(Throwable cause) {
        if (cause == null) {
            return "no detail";
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    }

    // ------------------------------------------------------------------ what was tried

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
