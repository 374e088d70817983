package dev.turnpike.plugins.ratelimit;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * At most {@code perSecond} log lines a second, whatever the traffic: the lines beyond are counted,
 * and the next line that may be written is told how many were left out, so an attack (or a Redis
 * outage under load) cannot flood the log. Lock-free (three atomics); any thread.
 */
final class LogBudget {

    private final Clock clock;
    private final int perSecond;
    private final AtomicLong secondStart;
    private final AtomicInteger linesThisSecond = new AtomicInteger();
    private final AtomicLong suppressed = new AtomicLong();

    LogBudget(Clock clock, int perSecond) {
        this.clock = clock;
        this.perSecond = perSecond;
        this.secondStart = new AtomicLong(clock.nanoTime() - Decision.NANOS_PER_SECOND);
    }

    /**
     * Whether a line may be written now.
     *
     * @return -1 when it may not (it was counted as left out); otherwise how many lines were left
     *         out since the last one written
     */
    long take() {
        long now = clock.nanoTime();
        long start = secondStart.get();
        if (now - start >= Decision.NANOS_PER_SECOND && secondStart.compareAndSet(start, now)) {
            linesThisSecond.set(0);
        }
        if (linesThisSecond.incrementAndGet() > perSecond) {
            suppressed.incrementAndGet();
            return -1;
        }
        return suppressed.getAndSet(0);
    }
}
