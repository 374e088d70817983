package com.example.apikey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.example.apikey.KeyStore.Verdict;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.testkit.phases.Exchange;
import dev.turnpike.testkit.phases.FakePluginContext;
import dev.turnpike.testkit.phases.FakeSession;
import dev.turnpike.testkit.phases.PhaseHarness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ApiKeyAuthTest {

    /**
     * A store the test scripts: by default a lookup stays open until the test completes it; after
     * {@link #answer} each lookup is answered from a thread of the store's own, as a real one is.
     */
    static final class ScriptedStore implements KeyStore {
        final List<String> asked = new ArrayList<>();
        final List<CompletableFuture<Verdict>> open = new ArrayList<>();
        private Verdict verdict;
        private Throwable failure;
        boolean closed;

        void answer(Verdict v, Throwable f) {
            verdict = v;
            failure = f;
        }

        @Override
        public synchronized CompletableFuture<Verdict> lookup(String key) {
            asked.add(key);
            if (verdict == null && failure == null) {
                CompletableFuture<Verdict> f = new CompletableFuture<>();
                open.add(f);
                return f;
            }
            Verdict v = verdict;
            Throwable f = failure;
            return CompletableFuture.supplyAsync(() -> {
                if (f != null) {
                    throw new java.util.concurrent.CompletionException(f);
                }
                return v;
            }, r -> new Thread(r, "store").start());
        }

        synchronized CompletableFuture<Verdict> last() {
            return open.get(open.size() - 1);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private final ScriptedStore store = new ScriptedStore();
    private final FakePluginContext context = new FakePluginContext(FakePluginContext.mapping(
            "key_store_url", "http://keys.internal/check", "valid_ttl", "60s", "invalid_ttl", "10s",
            "public_paths", List.of("/healthz")));
    private final PhaseHarness<Void> harness = PhaseHarness.start(
            new ApiKeyAuth((url, header, timeout) -> store, context.executor()::nanoTime), context);

    @Test
    void theLookupIsAwaitedWithoutBlockingAndDecidedOnTheLoop() throws Exception {
        FakeSession session = FakeSession.get("/orders").header("X-Api-Key", "k-1").executor(harness.loop());

        Outcome outcome = harness.plugin().requestFilter(session, null);

        // The phase returned at once, the lookup still open: it waits, it does not block.
        assertEquals(Outcome.Kind.LATER, outcome.kind());
        CompletableFuture<Outcome> stage = outcome.stage().toCompletableFuture();
        assertFalse(stage.isDone());

        Thread storeThread = new Thread(() -> store.last().complete(Verdict.VALID), "store");
        storeThread.start();
        storeThread.join();

        // The store's thread only handed the answer over; the decision waits for the loop.
        assertFalse(stage.isDone());
        assertEquals(0.0, harness.metrics().value("api_key_requests_total", "valid"));
        assertEquals(1, harness.loop().runReady());
        assertEquals(Outcome.Kind.PROCEED, stage.get().kind());
        assertEquals(1.0, harness.metrics().value("api_key_requests_total", "valid"));
    }

    @Test
    void aValidKeyAnsweredFromAnotherThreadGoesThroughWithoutTheKey() {
        store.answer(Verdict.VALID, null);

        Exchange<Void> x = harness.run(FakeSession.get("/orders").header("X-Api-Key", "k-1")
                .peer(Peer.of("10.0.0.5", 8080)));

        assertEquals(200, x.session().status());
        assertNull(x.session().upstreamRequest().headers().get("X-Api-Key"));
        assertEquals(List.of("k-1"), store.asked);
    }

    @Test
    void noKeyIsAnswered401WithoutAskingTheStore() {
        Exchange<Void> x = harness.run(FakeSession.get("/orders"));

        assertEquals(401, x.response().status());
        assertEquals("ApiKey", x.session().response().headers().get("WWW-Authenticate"));
        assertTrue(store.asked.isEmpty());
        assertEquals(1.0, harness.metrics().value("api_key_requests_total", "missing"));
    }

    @Test
    void anInvalidKeyIs401AndRememberedForInvalidTtl() {
        assertEquals(401, refusedOrPassed("bad", Verdict.INVALID));
        // Remembered: decided at once, no second lookup.
        Exchange<Void> again = harness.exchange(FakeSession.get("/").header("X-Api-Key", "bad"));
        assertEquals(Outcome.Kind.RESPOND, again.requestFilter().kind());
        assertEquals(Outcome.Kind.RESPOND, again.calls().get(0).returned().kind());
        assertEquals(1, store.asked.size());
        assertEquals(1.0, harness.metrics().value("api_key_cache_hits_total"));

        harness.loop().advance(Duration.ofSeconds(10));
        assertEquals(401, refusedOrPassed("bad", Verdict.INVALID));
        assertEquals(2, store.asked.size());
    }

    @Test
    void aValidKeyIsRememberedForValidTtl() {
        assertEquals(200, refusedOrPassed("good", Verdict.VALID));
        harness.loop().advance(Duration.ofSeconds(59));
        Exchange<Void> cached = harness.exchange(FakeSession.get("/").header("X-Api-Key", "good"));
        assertEquals(Outcome.Kind.PROCEED, cached.requestFilter().kind());
        assertEquals(1, store.asked.size());

        harness.loop().advance(Duration.ofSeconds(1));
        assertEquals(200, refusedOrPassed("good", Verdict.VALID));
        assertEquals(2, store.asked.size());
    }

    @Test
    void concurrentRequestsWithOneKeyShareOneLookup() throws Exception {
        FakeSession a = FakeSession.get("/").header("X-Api-Key", "k").executor(harness.loop());
        FakeSession b = FakeSession.get("/").header("X-Api-Key", "k").executor(harness.loop());
        CompletableFuture<Outcome> first = harness.plugin().requestFilter(a, null).stage().toCompletableFuture();
        CompletableFuture<Outcome> second = harness.plugin().requestFilter(b, null).stage().toCompletableFuture();

        assertEquals(1, store.asked.size());
        store.last().complete(Verdict.VALID);
        harness.loop().runReady();
        assertEquals(Outcome.Kind.PROCEED, first.get().kind());
        assertEquals(Outcome.Kind.PROCEED, second.get().kind());
    }

    @Test
    void aStoreThatCannotAnswerGives503AndIsAskedAgainNextTime() {
        store.answer(null, new IllegalStateException("key store answered 500"));
        Exchange<Void> x = harness.exchange(FakeSession.get("/").header("X-Api-Key", "k"));
        Outcome o = x.requestFilter();

        assertEquals(503, o.response().status());
        assertEquals("1", x.session().response().headers().get("Retry-After"));
        assertEquals(1.0, harness.metrics().value("api_key_requests_total", "store_error"));
        assertEquals(200, refusedOrPassed("k", Verdict.VALID));
        assertEquals(2, store.asked.size());
    }

    @Test
    void publicPathsNeedNoKey() {
        Exchange<Void> x = harness.exchange(FakeSession.get("/healthz/live"));
        assertEquals(Outcome.Kind.PROCEED, x.requestFilter().kind());
        assertTrue(store.asked.isEmpty());
    }

    @Test
    void stopClosesTheStore() {
        harness.stop();
        assertTrue(store.closed);
    }

    @Test
    void badConfigIsRefusedWithKeyAndReason() {
        assertEquals("plugins.chain[0].config.key_store_url: required", refused(Map.of()).getMessage());
        assertEquals("plugins.chain[0].config.key_store_url: 'ftp://keys/check' is not an http:// or https:// URL with a host",
                refused(Map.of("key_store_url", "ftp://keys/check")).getMessage());
        assertEquals("plugins.chain[0].config.lookup_timeout: must be more than 0",
                refused(Map.of("key_store_url", "http://keys/check", "lookup_timeout", "0s")).getMessage());
        assertEquals("plugins.chain[0].config.public_paths: 'healthz' is not a path (it starts with /)",
                refused(Map.of("key_store_url", "http://keys/check", "public_paths", List.of("healthz"))).getMessage());
        assertEquals("plugins.chain[0].config.valid_tll: unknown key valid_tll (did you mean valid_ttl?)",
                refused(Map.of("key_store_url", "http://keys/check", "valid_tll", "5s")).getMessage());
    }

    private InvalidConfigException refused(Map<String, ?> config) {
        return assertThrows(InvalidConfigException.class,
                () -> PhaseHarness.start(new ApiKeyAuth((u, h, t) -> new ScriptedStore(), System::nanoTime), config));
    }

    /** One request with {@code key}, the store answering {@code verdict}; the status the client gets. */
    private int refusedOrPassed(String key, Verdict verdict) {
        store.answer(verdict, null);
        Exchange<Void> x = harness.exchange(FakeSession.get("/").header("X-Api-Key", key));
        Outcome o = x.requestFilter();
        return o.kind() == Outcome.Kind.RESPOND ? o.response().status() : 200;
    }
}
