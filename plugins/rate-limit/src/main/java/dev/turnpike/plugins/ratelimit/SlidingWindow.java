package dev.turnpike.plugins.ratelimit;

/**
 * At most {@code max_requests} per key in any {@code window}: an exact log, not an estimate. Each
 * key keeps the times of the requests it was allowed within the last window, oldest first, in a
 * ring buffer; a request passes iff fewer than {@code max_requests} of them are younger than the
 * window, and its time is then appended. Rejected requests are not counted.
 *
 * <p>The ring starts at 4 slots and doubles up to {@code max_requests}, so a key that sends little
 * costs little; a key at its limit holds {@code 8 × max_requests} bytes of times.
 */
final class SlidingWindow implements Policy<SlidingWindow.Log> {

    private static final int INITIAL_SLOTS = 4;

    /** One key's log of allowed requests within the window. */
    static final class Log extends KeyState {
        long[] times;
        /** Index of the oldest time. */
        int head;
        int count;

        Log(int slots) {
            times = new long[slots];
        }

        long newest() {
            return times[(head + count - 1) % times.length];
        }
    }

    private final int maxRequests;
    private final long window;

    SlidingWindow(int maxRequests, long windowNanos) {
        if (maxRequests < 1 || windowNanos < 1) {
            throw new IllegalArgumentException("max_requests " + maxRequests + ", window " + windowNanos + " ns");
        }
        this.maxRequests = maxRequests;
        this.window = windowNanos;
    }

    @Override
    public Log newState(long now) {
        return new Log(Math.min(maxRequests, INITIAL_SLOTS));
    }

    @Override
    public void acquire(Log log, long now, Decision d) {
        d.limit = maxRequests;
        expire(log, now);
        if (log.count < maxRequests) {
            if (log.count == log.times.length) {
                grow(log);
            }
            log.times[(log.head + log.count) % log.times.length] = now;
            log.count++;
            d.allowed = true;
            d.remaining = maxRequests - log.count;
            d.resetNanos = window;
            d.retryAfterNanos = 0;
        } else {
            d.allowed = false;
            d.remaining = 0;
            d.resetNanos = log.newest() + window - now;
            d.retryAfterNanos = log.times[log.head] + window - now;
        }
    }

    /** Drops the times that have left the window (a request exactly one window old has). */
    private void expire(Log log, long now) {
        while (log.count > 0 && now - log.times[log.head] >= window) {
            log.head = (log.head + 1) % log.times.length;
            log.count--;
        }
        if (log.count == 0) {
            log.head = 0;
        }
    }

    private void grow(Log log) {
        int slots = (int) Math.min(maxRequests, 2L * log.times.length);
        long[] bigger = new long[slots];
        for (int i = 0; i < log.count; i++) {
            bigger[i] = log.times[(log.head + i) % log.times.length];
        }
        log.times = bigger;
        log.head = 0;
    }

    @Override
    public boolean isIdle(Log log, long now) {
        return log.count == 0 || now - log.newest() >= window;
    }

    @Override
    public String describe() {
        return "sliding window: " + maxRequests + " per " + Settings.formatNanos(window);
    }
}
