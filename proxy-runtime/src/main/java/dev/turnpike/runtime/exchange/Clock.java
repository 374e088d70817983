package dev.turnpike.runtime.exchange;

/**
 * A watchdog for one kind of waiting: armed when the wait starts (or progress is made), disarmed
 * when the wait is not the watched side's to end. It schedules nothing itself: the connection's one
 * timer asks {@link #deadline()} and {@link #expired}, so arming costs a {@code nanoTime()} read,
 * not a schedule and a cancel. Confined to the request's event loop.
 */
final class Clock {

    private final long timeoutNanos;
    /** When the wait started, {@link System#nanoTime()}; 0 while disarmed. */
    private long since;

    Clock(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    /** Starts (or restarts) the wait at {@code now}; returns the deadline to have checked. */
    long arm(long now) {
        since = now == 0 ? 1 : now;
        return since + timeoutNanos;
    }

    /** Progress: a running wait starts over at {@code now}. A disarmed clock stays disarmed. */
    void touch(long now) {
        if (since != 0) {
            since = now == 0 ? 1 : now;
        }
    }

    void disarm() {
        since = 0;
    }

    boolean armed() {
        return since != 0;
    }

    boolean expired(long now) {
        return since != 0 && now - since >= timeoutNanos;
    }

    /** When the wait expires; 0 while disarmed. */
    long deadline() {
        return since == 0 ? 0 : since + timeoutNanos;
    }

    long timeoutMillis() {
        return timeoutNanos / 1_000_000;
    }

    /** The earlier of two deadlines, where 0 means none. */
    static long earliest(long a, long b) {
        if (a == 0) {
            return b;
        }
        return b == 0 || a - b < 0 ? a : b;
    }
}
