package dev.turnpike.plugins.ratelimit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A clock the test moves by hand. Thread-safe. */
final class FakeClock implements Clock {

    private final AtomicLong now;

    FakeClock() {
        this(1_000_000_000_000L);
    }

    /** Starting at {@code start}, which may be anything, e.g. just short of {@link Long#MAX_VALUE}. */
    FakeClock(long start) {
        this.now = new AtomicLong(start);
    }

    @Override
    public long nanoTime() {
        return now.get();
    }

    void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    void advanceMillis(long millis) {
        now.addAndGet(millis * 1_000_000L);
    }

    void advanceNanos(long nanos) {
        now.addAndGet(nanos);
    }
}
