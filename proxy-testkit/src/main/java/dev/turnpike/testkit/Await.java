package dev.turnpike.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting for a condition with a deadline, the only kind of waiting the testkit does: a condition is
 * polled every few milliseconds until it holds, and an {@link AssertionError} naming what was awaited
 * (and, where given, what was seen last) is thrown once the deadline passes. Nothing here asserts
 * how long anything took.
 *
 * <p>Runs on the calling thread (a test thread, never an event loop). Stateless.
 */
public final class Await {

    /** The deadline the testkit uses when a caller gives none. */
    public static final Duration DEFAULT = Duration.ofSeconds(10);

    private static final long POLL_MILLIS = 10;

    private Await() {
    }

    /** Waits up to {@link #DEFAULT} for {@code condition}. */
    public static void until(String what, BooleanSupplier condition) {
        until(what, DEFAULT, condition);
    }

    /**
     * Waits up to {@code deadline} for {@code condition} to return true.
     *
     * @throws AssertionError naming {@code what} when the deadline passes first
     */
    public static void until(String what, Duration deadline, BooleanSupplier condition) {
        until(what, deadline, condition, () -> null);
    }

    /**
     * As {@link #until(String, Duration, BooleanSupplier)}, with {@code lastSeen} describing the state
     * in the failure message (called once, after the deadline).
     */
    public static void until(String what, Duration deadline, BooleanSupplier condition, Supplier<String> lastSeen) {
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                String seen = lastSeen.get();
                throw new AssertionError("waited " + deadline.toMillis() + " ms for " + what
                        + (seen == null ? "" : "; last seen: " + seen));
            }
            pause(POLL_MILLIS);
        }
    }

    /** Sleeps, keeping the interrupt: a test interrupted while waiting stops waiting. */
    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }
}
