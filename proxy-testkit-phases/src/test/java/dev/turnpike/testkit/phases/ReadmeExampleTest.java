package dev.turnpike.testkit.phases;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.api.metrics.Counter;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The example of the module's README, kept compiling and passing. */
class ReadmeExampleTest {

    /** Checks X-Api-Key against a (slow) key store without blocking: the answer comes {@code later}. */
    static final class ApiKeyAuth implements ProxyPlugin<Void> {
        private Set<String> keys;
        private Duration lookup;
        private Counter rejected;

        @Override
        public void start(PluginContext context) {
            keys = Set.copyOf(context.config().strings("keys"));
            lookup = context.config().duration("lookup_time", Duration.ofMillis(50));
            rejected = context.metrics().counter("api_key_rejected_total", "Requests without a valid key.");
        }

        @Override
        public Outcome requestFilter(Session session, Void ctx) {
            String key = session.request().headers().get("X-Api-Key");
            CompletableFuture<Outcome> answer = new CompletableFuture<>();
            // Stands for an asynchronous lookup: the answer arrives on the loop, later.
            session.executor().schedule(() -> {
                if (key != null && keys.contains(key)) {
                    answer.complete(Outcome.proceed());
                } else {
                    rejected.inc();
                    answer.complete(Outcome.respond(Response.status(401).body("no valid API key\n").build()));
                }
            }, lookup.toMillis(), TimeUnit.MILLISECONDS);
            return Outcome.later(answer);
        }

        @Override
        public Outcome upstreamRequestFilter(Session session, Void ctx) {
            session.upstreamRequest().headers().remove("X-Api-Key"); // the backend never sees it
            return Outcome.proceed();
        }
    }

    private final PhaseHarness<Void> harness = PhaseHarness.start(new ApiKeyAuth(),
            FakePluginContext.mapping("keys", java.util.List.of("k-1"), "lookup_time", "200ms"));

    @Test
    void aValidKeyGoesThroughWithoutTheHeader() {
        FakeSession request = FakeSession.get("/orders").header("X-Api-Key", "k-1").peer(dev.turnpike.api.Peer.of("10.0.0.5", 8080));
        Exchange<Void> x = harness.run(request);
        assertEquals(200, x.session().status());
        assertEquals(null, x.session().upstreamRequest().headers().get("X-Api-Key"));
        assertEquals(200_000_000L, harness.loop().nanoTime(), "the lookup took its 200 ms, of virtual time");
    }

    @Test
    void aWrongKeyIsAnswered401AndCounted() {
        Exchange<Void> x = harness.run(FakeSession.get("/orders").header("X-Api-Key", "nope"));
        assertEquals(401, x.response().status());
        assertEquals(1.0, harness.metrics().value("api_key_rejected_total"));
    }

    @Test
    void aMisspeltKeyIsRefusedAsTheRuntimeRefusesIt() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> PhaseHarness.start(new ApiKeyAuth(), Map.of("keys", java.util.List.of("k"), "lookup_tme", "1s")));
        assertEquals("plugins.chain[0].config.lookup_tme: unknown key lookup_tme (did you mean lookup_time?)", e.getMessage());
    }
}
