package dev.turnpike.plugins.ratelimit;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The per-key states of one limiter, bounded to {@code maxKeys}, safe for every event loop at once
 * without a global lock.
 *
 * <h2>Locking</h2>
 * The table is split into up to {@value #MAX_SEGMENTS} segments by a hash of the key; each segment is
 * a map with its own lock, held only for one look-up, one {@link Policy#acquire} (a few arithmetic
 * operations, or appending to a short ring) and at most {@value #EXPIRE_ON_INSERT} idle-entry
 * checks. Requests for different keys contend only when their keys share a segment; requests for
 * the same key are serialised, which is what makes the count exact: with burst B and no refill, B
 * requests pass however many threads race for them.
 *
 * <h2>Memory</h2>
 * <ul>
 *   <li><b>Idle keys</b> are dropped once their state equals a new key's ({@link Policy#isIdle}: the
 *       bucket is full again, or no request is left in the window), so dropping one never changes a
 *       decision. Two places do it: each insertion of a new key first looks at its segment's least
 *       recently used entries (up to {@value #EXPIRE_ON_INSERT}), so growth pays for the clean-up;
 *       and {@link #sweep()} (the plugin's timer, once a second) walks every segment from its least
 *       recently used end, a bounded batch per lock hold.</li>
 *   <li><b>When full</b> ({@code maxKeys} keys tracked), a new key evicts the least recently used key
 *       of its segment, which then starts afresh if it comes back (a full bucket, an empty window).
 *       The capacity is divided among the segments exactly (their capacities sum to
 *       {@code maxKeys}), so the table never holds more than {@code maxKeys} keys; because each
 *       segment evicts on its own, a key may be evicted slightly before the table as a whole is
 *       full (as in Guava's segmented cache). Evicting the least recently used key is what nginx's
 *       {@code limit_req} does too; the alternative, refusing new keys while full, would let anyone
 *       who can make up keys (a header value, many addresses) shut out every new client.</li>
 * </ul>
 */
final class KeyTable<S extends KeyState> {

    static final int MAX_SEGMENTS = 64;
    static final int EXPIRE_ON_INSERT = 2;
    /** Entries the sweeper removes per lock hold before letting the event loops in again. */
    static final int SWEEP_BATCH = 256;
    static final long WARN_INTERVAL_NANOS = Decision.NANOS_PER_SECOND;

    /** One independently locked part of the table: an access-ordered map (least recently used first). */
    static final class Segment<S> extends LinkedHashMap<String, S> {
        private final int capacity;
        /** Guarded by this; read and reset by {@link #drainEvictions}. */
        long evictedFull;
        long evictedIdle;

        Segment(int capacity) {
            super(16, 0.75f, true);
            this.capacity = capacity;
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, S> eldest) {
            if (size() > capacity) {
                evictedFull++;
                return true;
            }
            return false;
        }

        int capacity() {
            return capacity;
        }
    }

    /** Evictions counted since the last drain, by reason. */
    record Evictions(long full, long idle) {
    }

    private final Policy<S> policy;
    private final Clock clock;
    private final Segment<S>[] segments;
    private final int segmentBits;
    private final int maxKeys;

    @SuppressWarnings({"unchecked", "rawtypes"})
    KeyTable(Policy<S> policy, Clock clock, int maxKeys) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys " + maxKeys);
        }
        this.policy = policy;
        this.clock = clock;
        this.maxKeys = maxKeys;
        int n = Math.min(MAX_SEGMENTS, Integer.highestOneBit(maxKeys));
        this.segmentBits = Integer.numberOfTrailingZeros(n);
        this.segments = new Segment[n];
        for (int i = 0; i < n; i++) {
            segments[i] = new Segment<>(maxKeys / n + (i < maxKeys % n ? 1 : 0));
        }
    }

    /**
     * Counts one request for {@code key} and fills {@code d} ({@code allowed}, the header numbers,
     * and {@code warn} for the first rejection of the key within a second).
     */
    void acquire(String key, Decision d) {
        Segment<S> seg = segmentFor(key);
        synchronized (seg) {
            long now = clock.nanoTime();
            S state = seg.get(key);
            if (state == null) {
                expireEldest(seg, now, EXPIRE_ON_INSERT);
                state = policy.newState(now);
                state.warnedAt = now - WARN_INTERVAL_NANOS;
                seg.put(key, state);
            }
            policy.acquire(state, now, d);
            if (!d.allowed && now - state.warnedAt >= WARN_INTERVAL_NANOS) {
                state.warnedAt = now;
                d.warn = true;
            } else {
                d.warn = false;
            }
        }
        d.applied = true;
        d.key = key;
    }

    /**
     * Drops idle keys everywhere, walking each segment from its least recently used end until the
     * first key that is not idle; releases the segment's lock every {@value #SWEEP_BATCH} removals.
     *
     * @return how many keys it dropped
     */
    int sweep() {
        int removed = 0;
        for (Segment<S> seg : segments) {
            int batch;
            do {
                synchronized (seg) {
                    batch = expireEldest(seg, clock.nanoTime(), SWEEP_BATCH);
                }
                removed += batch;
            } while (batch == SWEEP_BATCH);
        }
        return removed;
    }

    /** Removes up to {@code max} idle entries from the least recently used end; lock held. */
    private int expireEldest(Segment<S> seg, long now, int max) {
        int removed = 0;
        Iterator<S> it = seg.values().iterator();
        while (removed < max && it.hasNext()) {
            if (!policy.isIdle(it.next(), now)) {
                break;
            }
            it.remove();
            removed++;
        }
        seg.evictedIdle += removed;
        return removed;
    }

    /**
     * Calls {@code action} on every key and its state, each segment's under that segment's lock
     * (so keep it to a few field reads and writes), without touching recency.
     */
    void forEach(BiConsumer<String, S> action) {
        for (Segment<S> seg : segments) {
            synchronized (seg) {
                seg.forEach(action);
            }
        }
    }

    /** Calls {@code action} on the state of {@code key} under its segment's lock, if the key is tracked. */
    void update(String key, Consumer<S> action) {
        Segment<S> seg = segmentFor(key);
        synchronized (seg) {
            S state = seg.get(key);
            if (state != null) {
                action.accept(state);
            }
        }
    }

    /** The keys tracked now (each segment read under its lock, so a near-instant sum). */
    int size() {
        int n = 0;
        for (Segment<S> seg : segments) {
            synchronized (seg) {
                n += seg.size();
            }
        }
        return n;
    }

    /** Whether {@code key} is tracked (without touching its recency). */
    boolean contains(String key) {
        Segment<S> seg = segmentFor(key);
        synchronized (seg) {
            return seg.containsKey(key);
        }
    }

    /** The evictions since the previous call. */
    Evictions drainEvictions() {
        long full = 0;
        long idle = 0;
        for (Segment<S> seg : segments) {
            synchronized (seg) {
                full += seg.evictedFull;
                idle += seg.evictedIdle;
                seg.evictedFull = 0;
                seg.evictedIdle = 0;
            }
        }
        return new Evictions(full, idle);
    }

    int maxKeys() {
        return maxKeys;
    }

    int segmentCount() {
        return segments.length;
    }

    /**
     * The segment of {@code key}: the top bits of its hash spread by a Fibonacci multiplier, so that
     * the segment does not depend on the low bits each segment's own map indexes by.
     */
    Segment<S> segmentFor(String key) {
        if (segmentBits == 0) {
            return segments[0];
        }
        return segments[(key.hashCode() * 0x9E3779B9) >>> (32 - segmentBits)];
    }

    Policy<S> policy() {
        return policy;
    }
}
