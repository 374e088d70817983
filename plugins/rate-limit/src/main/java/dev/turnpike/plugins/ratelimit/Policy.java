package dev.turnpike.plugins.ratelimit;

/**
 * A limiting algorithm over per-key state. Every method is called with the state's segment lock
 * held, with a {@code now} read inside that lock, so successive calls for one key see
 * non-decreasing times and no two run at once for the same key.
 */
interface Policy<S extends KeyState> {

    /** The state of a key never seen before: its whole limit available. */
    S newState(long now);

    /**
     * Counts one request against {@code state} if the limit allows it and fills {@code d}:
     * {@code allowed}, {@code limit}, {@code remaining}, {@code resetNanos} and, when rejected,
     * {@code retryAfterNanos}.
     */
    void acquire(S state, long now, Decision d);

    /**
     * Whether {@code state} is now indistinguishable from {@link #newState(long) newState(now)}: then
     * dropping it changes no future decision, and it may be evicted at no cost.
     */
    boolean isIdle(S state, long now);

    /** The limit in words, for the log. */
    String describe();
}
