package dev.turnpike.plugins.ratelimit;

/**
 * Where the limiter reads the time: {@link System#nanoTime()} in the proxy, a hand-driven value in
 * tests. Only differences between two readings mean anything (the value may be negative and may
 * wrap), so every comparison in this plugin subtracts first.
 */
@FunctionalInterface
interface Clock {

    /** The system's monotonic clock. */
    Clock SYSTEM = System::nanoTime;

    /** Nanoseconds from an arbitrary origin; never goes backwards. */
    long nanoTime();
}
