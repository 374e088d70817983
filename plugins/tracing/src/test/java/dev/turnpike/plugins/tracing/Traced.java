package dev.turnpike.plugins.tracing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testkit.phases.FakePluginContext;
import dev.turnpike.testkit.phases.PhaseHarness;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * The plugin started in a {@link PhaseHarness}, exporting to memory through the real batch
 * processor: {@link #spans()} flushes it and returns what was exported.
 */
final class Traced implements AutoCloseable {

    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    final List<String> warnings = new CopyOnWriteArrayList<>();
    final Tracing plugin;
    final PhaseHarness<RequestTrace> harness;

    Traced(Map<String, ?> config) {
        this(config, null);
    }

    /** Exporting through {@code exporters} (the OTLP one, say) instead of to memory. */
    Traced(Map<String, ?> config, Telemetry.ExporterFactory exporters) {
        FakePluginContext context = new FakePluginContext(config).pluginId("tracing");
        plugin = new Tracing(exporters != null ? exporters : s -> keeping(exporter), warnings::add, context.executor()::nanoTime);
        harness = PhaseHarness.start(plugin, context);
    }

    Traced() {
        this(Map.of());
    }

    /** {@code memory}, except that shutting it down keeps what it holds (the SDK's own clears it), for tests of stop. */
    static SpanExporter keeping(InMemorySpanExporter memory) {
        return new ExportingTo(memory::export);
    }

    /**
     * Everything exported so far, once every span the plugin ended has been exported. One flush is
     * not proof of that: the SDK's batch processor completes a flush's result before it clears the
     * request, so a flush asked for right after another can be answered with the earlier one's
     * result while spans are still queued. So this flushes until the exported count reaches the
     * ended count, for at most 10 s.
     */
    List<SpanData> spans() {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            assertTrue(plugin.flush(10_000), "the batch processor flushed within 10 s");
            double ended = harness.metrics().value(Tracing.ENDED_METRIC);
            double exported = harness.metrics().value(Tracing.EXPORTED_METRIC, "ok")
                    + harness.metrics().value(Tracing.EXPORTED_METRIC, "failed");
            if (exported >= ended) {
                return exporter.getFinishedSpanItems();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(ended + " spans ended but only " + exported + " exported within 10 s");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    List<SpanData> spans(SpanKind kind) {
        return spans().stream().filter(s -> s.getKind() == kind).collect(Collectors.toList());
    }

    SpanData onlyServer() {
        List<SpanData> servers = spans(SpanKind.SERVER);
        if (servers.size() != 1) {
            throw new AssertionError("expected one SERVER span, got " + spans());
        }
        return servers.get(0);
    }

    @Override
    public void close() {
        harness.stop();
    }

    /** A W3C traceparent header value. */
    static String traceparent(String traceId, String spanId, boolean sampled) {
        return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
    }

    /**
     * Fails unless {@code header} is a version-00 traceparent for this trace and span with this
     * sampled flag. Other flag bits are the SDK's (Trace Context level 2's "random" bit, 0x02, on
     * the trace ids it makes).
     */
    static void assertTraceparent(String traceId, String spanId, boolean sampled, String header) {
        String prefix = "00-" + traceId + "-" + spanId + "-";
        if (header == null || !header.startsWith(prefix) || header.length() != prefix.length() + 2) {
            throw new AssertionError("expected traceparent " + prefix + "<flags>, got " + header);
        }
        int flags = Integer.parseInt(header.substring(prefix.length()), 16);
        if (((flags & 1) == 1) != sampled) {
            throw new AssertionError("expected the sampled flag " + (sampled ? "set" : "clear") + " in " + header);
        }
    }

    /** The sampled bit of a traceparent header. */
    static boolean sampled(String header) {
        return (Integer.parseInt(header.substring(header.length() - 2), 16) & 1) == 1;
    }
}
