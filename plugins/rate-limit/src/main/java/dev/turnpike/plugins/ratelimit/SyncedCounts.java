package dev.turnpike.plugins.ratelimit;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code sync_interval}: local admission against a budget learned from Redis, with the requests
 * admitted here flushed to Redis in one batch per interval (one pipelined script call per key that
 * saw traffic), so a hot key costs one round trip per interval instead of one per request.
 *
 * <p>Per key: the first request (or the first after the key was forgotten or a flush failed) asks
 * Redis as without {@code sync_interval}, and the reply seeds the key's budget: the requests the
 * shared limit had left. Later requests take from that budget here, without a round trip; when it is
 * spent they are refused here until a flush brings a new one. Each flush records the requests
 * admitted since the last, as far as they fit the shared limit, and replaces the budget with what
 * Redis says is left, less what was admitted here meanwhile.
 *
 * <p>The price (documented in the README): every proxy spends the same shared remainder between two
 * flushes, so a fleet of N proxies can admit up to N times it before the next flush corrects the
 * count, and a key refused here learns of refilled tokens only at the next flush. A flush that fails
 * drops its counts (they are not charged to the shared state) and makes its keys ask Redis again,
 * where {@code on_error} decides while Redis is away.
 *
 * <p>Threads: {@link KeyTable} locking as in local mode; {@link #tryLocal} and {@link #seed} on the
 * event loops, {@link #takeBatches} and the flush replies on the Redis worker and I/O threads
 * ({@link RemoteLimiter#flush}).
 */
final class SyncedCounts {

    /** One key as this proxy knows it. Guarded by its table segment's lock. */
    static final class Synced extends KeyState {
        boolean known;
        boolean inFlight;
        long budget;
        long pending;
        long lastUsed;
        /** A request was refused here since the last flush: the next flush asks for a new budget. */
        boolean refused;
        /** From the last reply: when the key's limit is whole again, and when a refused request could pass. */
        long resetAt;
        long retryAt;
    }

    /** The local half of the decision; the table's lock is held around each method. */
    private final class LocalPolicy implements Policy<Synced> {
        @Override
        public Synced newState(long now) {
            return new Synced();
        }

        @Override
        public void acquire(Synced s, long now, Decision d) {
            s.lastUsed = now;
            d.limit = limit;
            if (!s.known) {
                d.deferred = true;
                return;
            }
            d.deferred = false;
            d.resetNanos = Math.max(0, s.resetAt - now);
            if (s.budget > 0) {
                s.budget--;
                s.pending++;
                d.allowed = true;
                d.remaining = s.budget;
                d.retryAfterNanos = 0;
            } else {
                s.refused = true;
                d.allowed = false;
                d.remaining = 0;
                d.retryAfterNanos = Math.max(0, s.retryAt - now);
            }
        }

        @Override
        public boolean isIdle(Synced s, long now) {
            return s.pending == 0 && !s.inFlight && now - s.lastUsed >= forgetAfterNanos;
        }

        @Override
        public String describe() {
            return "synced every " + Settings.formatNanos(intervalNanos);
        }
    }

    /** What a flush sends for one key: the requests admitted here since the last flush (maybe 0). */
    record Batch(String key, long n) {
    }

    private final KeyTable<Synced> table;
    private final Clock clock;
    private final long limit;
    private final long intervalNanos;
    private final long forgetAfterNanos;

    SyncedCounts(Clock clock, int maxKeys, long limit, long intervalNanos) {
        this.clock = clock;
        this.limit = limit;
        this.intervalNanos = intervalNanos;
        // A key unused for this long asks Redis again: its budget is stale by then anyway.
        this.forgetAfterNanos = Math.max(Decision.NANOS_PER_SECOND, 2 * intervalNanos);
        this.table = new KeyTable<>(new LocalPolicy(), clock, maxKeys);
    }

    /** Decides {@code key} locally, or sets {@link Decision#deferred}: ask Redis, then {@link #seed}. */
    void tryLocal(String key, Decision d) {
        table.acquire(key, d);
    }

    /** A direct reply for {@code key} (its request already counted in Redis): the key's budget from now on. */
    void seed(String key, Decision d) {
        long now = clock.nanoTime();
        table.update(key, s -> {
            if (!s.known && !s.inFlight) {
                s.known = true;
                learn(s, d, now);
            }
        });
    }

    private static void learn(Synced s, Decision d, long now) {
        s.budget = Math.max(0, d.remaining - s.pending);
        s.resetAt = now + d.resetNanos;
        s.retryAt = now + d.retryAfterNanos;
    }

    /** The keys to flush now (marked in flight): each known key used since its last flush. */
    List<Batch> takeBatches() {
        List<Batch> out = new ArrayList<>();
        table.forEach((key, s) -> {
            if (s.known && !s.inFlight && (s.pending > 0 || s.refused)) {
                s.inFlight = true;
                s.refused = false;
                out.add(new Batch(key, s.pending));
                s.pending = 0;
            }
        });
        return out;
    }

    /** A flush's reply for {@code key}: the shared state after its batch was recorded. */
    void flushed(String key, Decision d) {
        long now = clock.nanoTime();
        table.update(key, s -> {
            s.inFlight = false;
            learn(s, d, now);
        });
    }

    /** A flush for {@code key} failed: its counts are dropped and the key asks Redis again. */
    void flushFailed(String key) {
        table.update(key, s -> {
            s.inFlight = false;
            s.known = false;
            s.pending = 0;
        });
    }

    KeyTable<Synced> table() {
        return table;
    }
}
