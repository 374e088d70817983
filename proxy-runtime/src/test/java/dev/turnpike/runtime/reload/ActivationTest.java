package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.ChainLink;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** activated(): once per instance, and only when no older chain is still serving. */
class ActivationTest {

    final List<String> calls = new ArrayList<>();
    final List<String> failures = new ArrayList<>();

    final class Named implements ProxyPlugin<Void> {
        final String name;
        final boolean throwing;

        Named(String name, boolean throwing) {
            this.name = name;
            this.throwing = throwing;
        }

        @Override
        public void activated() {
            calls.add(name);
            if (throwing) {
                throw new IllegalStateException("refuses");
            }
        }
    }

    private int activate(Generations g) {
        return g.activateDue((link, e) -> failures.add(link.pluginId() + ": " + e.getMessage()));
    }

    @Test
    void theNewChainIsActivatedOnlyOnceTheOldOneHasDrained() {
        Generations g = new Generations(Long.MAX_VALUE);
        Named first = new Named("a1", false);
        g.swap(new Chain(List.of(ChainLink.of("a", "1", first))), Set.of());
        g.retireDrained(List.of()); // the empty chain of before the start is gone
        assertEquals(1, activate(g));
        assertEquals(List.of("a1"), calls);
        assertEquals(0, activate(g), "an instance is activated once");

        Chain old = g.current();
        old.tryAcquire(); // a request still running on generation 1
        Named second = new Named("a2", false);
        Named kept = first;
        g.swap(new Chain(List.of(ChainLink.of("a", "2", second), ChainLink.of("k", "1", kept))), Set.of());
        g.retireDrained(List.of());
        assertEquals(0, activate(g), "the old generation still serves a request");
        assertEquals(List.of("a1"), calls);

        old.release();
        g.retireDrained(List.of());
        assertEquals(1, activate(g));
        assertEquals(List.of("a1", "a2"), calls, "the kept instance is not activated again");
    }

    @Test
    void aThrowIsReportedAndTheOthersAreStillActivated() {
        Generations g = new Generations(Long.MAX_VALUE);
        g.swap(new Chain(List.of(ChainLink.of("bad", "1", new Named("bad", true)),
                ChainLink.of("good", "1", new Named("good", false)))), Set.of());
        g.retireDrained(List.of());
        assertEquals(2, activate(g));
        assertEquals(List.of("bad", "good"), calls);
        assertEquals(List.of("bad: refuses"), failures);
    }
}
