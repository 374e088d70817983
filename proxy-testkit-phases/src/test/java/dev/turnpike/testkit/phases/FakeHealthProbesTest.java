package dev.turnpike.testkit.phases;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Peer;
import dev.turnpike.api.health.HttpProbe;
import dev.turnpike.api.health.ProbeResult;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class FakeHealthProbesTest {

    private final FakeHealthProbes probes = new FakeHealthProbes();

    @Test
    void aProbeStaysOpenUntilTheTestAnswersIt() {
        AtomicReference<ProbeResult> seen = new AtomicReference<>();
        probes.tcp(Peer.parse("10.0.0.1:80"), Duration.ofSeconds(1)).thenAccept(seen::set);
        HttpProbe get = new HttpProbe("GET", "/health", null, Duration.ofSeconds(2));
        probes.http(Peer.parse("10.0.0.2:80"), get);
        assertNull(seen.get());
        assertEquals(2, probes.open().size());
        FakeHealthProbes.Call tcp = probes.of("10.0.0.1:80").get(0);
        assertNull(tcp.http(), "a TCP probe");
        assertEquals(Duration.ofSeconds(1), tcp.timeout());
        tcp.complete(FakeHealthProbes.connected());
        assertTrue(seen.get().completed());
        assertEquals(get, probes.of("10.0.0.2:80").get(0).http());
        assertEquals(Duration.ofSeconds(2), probes.of("10.0.0.2:80").get(0).timeout());
        assertEquals(1, probes.completeAll(FakeHealthProbes.refused()));
        assertEquals(0, probes.completeAll(FakeHealthProbes.status(200)), "nothing left open");
        assertEquals(2, probes.calls().size());
        assertFalse(FakeHealthProbes.timedOut(Duration.ofSeconds(1)).completed());
        assertEquals(503, FakeHealthProbes.status(503).status());
    }

    @Test
    void thePluginCannotAnswerItsOwnProbe() {
        CompletionStage<ProbeResult> stage = probes.tcp(Peer.parse("10.0.0.1:80"), Duration.ofSeconds(1));
        stage.toCompletableFuture().complete(FakeHealthProbes.connected());
        assertFalse(probes.calls().get(0).done(), "only the test completes a probe");
    }
}
