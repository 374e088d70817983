package dev.turnpike.plugins.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Peer;
import dev.turnpike.testkit.phases.FakeSession;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** stop() flushes what is queued and leaves none of the SDK's threads running. */
class StopTest {

    private static List<String> sdkThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getThreadGroup() != null && t.getThreadGroup().getName().startsWith("turnpike-tracing["))
                .filter(t -> !SdkThreads.isJdkHttpClients(t))
                .map(Thread::getName)
                .collect(Collectors.toList());
    }

    @Test
    void stopFlushesTheQueueAndEndsTheSdksThreads() {
        Traced t = new Traced(Map.of("flush_interval", "10m"));
        t.harness.run(FakeSession.get("/last").peer(Peer.of("10.0.0.1", 8080)), 200);
        assertTrue(t.exporter.getFinishedSpanItems().isEmpty(), "nothing exported before the ten-minute flush interval");
        assertTrue(!sdkThreads().isEmpty(), "the batch processor's worker runs while the plugin does");
        t.close();
        assertEquals(2, t.exporter.getFinishedSpanItems().size(), "stop exported what was queued");
        assertEquals(List.of(), sdkThreads(), "no SDK thread left after stop");
        assertEquals(List.of(), t.warnings);
    }
}
