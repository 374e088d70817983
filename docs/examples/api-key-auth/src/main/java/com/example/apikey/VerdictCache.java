package com.example.apikey;

import com.example.apikey.KeyStore.Verdict;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The store's recent answers, and the lookups under way. A valid key is remembered for
 * {@code validTtl} (a revoked key keeps working that long: the price of not asking the store for
 * every request), an invalid one for {@code invalidTtl} (so a client retrying a bad key does not
 * hammer the store). Concurrent requests with the same uncached key share one lookup.
 *
 * <p>Bounded: once {@code maxEntries} answers are held, expired ones are swept, and when none has
 * expired a new answer is simply not remembered. Thread-safe and lock-free on the hot path.
 */
final class VerdictCache {

    private record Entry(Verdict verdict, long expiresAt) {
    }

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CompletableFuture<Verdict>> inFlight = new ConcurrentHashMap<>();
    private final long validTtlNanos;
    private final long invalidTtlNanos;
    private final int maxEntries;
    private final LongSupplier clock;

    VerdictCache(long validTtlNanos, long invalidTtlNanos, int maxEntries, LongSupplier clock) {
        this.validTtlNanos = validTtlNanos;
        this.invalidTtlNanos = invalidTtlNanos;
        this.maxEntries = maxEntries;
        this.clock = clock;
    }

    /** The remembered answer for {@code key}, or {@code null} when there is none (or it expired). */
    Verdict cached(String key) {
        Entry e = entries.get(key);
        if (e == null) {
            return null;
        }
        if (clock.getAsLong() - e.expiresAt >= 0) {
            entries.remove(key, e);
            return null;
        }
        return e.verdict;
    }

    /**
     * The answer for {@code key} from {@code store}: the lookup already under way for that key, or
     * a new one. Its answer is remembered when it comes; a failure is not.
     */
    CompletableFuture<Verdict> lookup(String key, KeyStore store) {
        CompletableFuture<Verdict> mine = new CompletableFuture<>();
        CompletableFuture<Verdict> running = inFlight.putIfAbsent(key, mine);
        if (running != null) {
            return running;
        }
        // Started outside putIfAbsent: a store that answers at once would otherwise complete (and
        // remove) the entry while the map is still inserting it.
        CompletableFuture<Verdict> asked;
        try {
            asked = store.lookup(key);
        } catch (RuntimeException e) {
            asked = CompletableFuture.failedFuture(e);
        }
        asked.whenComplete((verdict, failure) -> {
            if (failure == null) {
                remember(key, verdict);
            }
            inFlight.remove(key, mine);
            if (failure == null) {
                mine.complete(verdict);
            } else {
                mine.completeExceptionally(failure);
            }
        });
        return mine;
    }

    private void remember(String key, Verdict verdict) {
        long ttl = verdict == Verdict.VALID ? validTtlNanos : invalidTtlNanos;
        if (ttl == 0) {
            return;
        }
        if (entries.size() >= maxEntries) {
            long now = clock.getAsLong();
            entries.values().removeIf(e -> now - e.expiresAt >= 0);
            if (entries.size() >= maxEntries) {
                return; // full of live answers: serve this key from the store until room comes
            }
        }
        entries.put(key, new Entry(verdict, clock.getAsLong() + ttl));
    }

    /** How many answers are remembered (expired ones not yet swept included). */
    int size() {
        return entries.size();
    }
}
