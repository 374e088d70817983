package dev.turnpike.plugins.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testkit.phases.FakeMetrics;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Counting what each export delivered or lost, and at most one WARN a minute while exports fail. */
class CountingExporterTest {

    private final FakeMetrics metrics = new FakeMetrics();
    private final List<String> warnings = new ArrayList<>();
    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    private final AtomicBoolean collectorUp = new AtomicBoolean(true);

    private final SpanExporter collector = new ExportingTo(spans -> collectorUp.get() ? CompletableResultCode.ofSuccess()
            : CompletableResultCode.ofExceptionalFailure(new IOException("Connection refused")));

    private final CountingExporter exporter = new CountingExporter(collector,
            metrics.counter(Tracing.EXPORTED_METRIC, "help", "result"), "http://collector:4318/v1/traces", warnings::add, now::get);

    private static List<SpanData> spans(int n) {
        return Collections.nCopies(n, null);
    }

    @Test
    void deliveredAndLostSpansAreCountedApart() {
        exporter.export(spans(3));
        collectorUp.set(false);
        exporter.export(spans(2));
        assertEquals(3.0, metrics.value(Tracing.EXPORTED_METRIC, "ok"));
        assertEquals(2.0, metrics.value(Tracing.EXPORTED_METRIC, "failed"));
    }

    @Test
    void failuresAreReportedOnceAMinuteWithWhatWasLostMeanwhile() {
        collectorUp.set(false);
        exporter.export(spans(2));
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("could not export spans to http://collector:4318/v1/traces"), warnings.get(0));
        assertTrue(warnings.get(0).contains("IOException: Connection refused"), warnings.get(0));
        assertTrue(warnings.get(0).contains("2 span(s) dropped"), warnings.get(0));

        now.addAndGet(CountingExporter.WARN_INTERVAL_NANOS - 1);
        exporter.export(spans(5));
        exporter.export(spans(1));
        assertEquals(1, warnings.size(), "quiet within the minute");

        now.addAndGet(1);
        exporter.export(spans(4));
        assertEquals(2, warnings.size());
        assertTrue(warnings.get(1).contains("10 span(s) dropped since the last report"), warnings.get(1));
    }

    @Test
    void anExporterThatThrowsCountsAsAFailedExport() {
        CountingExporter throwing = new CountingExporter(new ExportingTo(spans -> {
            throw new IllegalStateException("broken");
        }), metrics.counter(Tracing.EXPORTED_METRIC, "help", "result"), "x", warnings::add, now::get);
        CompletableResultCode r = throwing.export(spans(1));
        assertTrue(r.isDone() && !r.isSuccess());
        assertEquals(1.0, metrics.value(Tracing.EXPORTED_METRIC, "failed"));
        assertTrue(warnings.get(0).contains("IllegalStateException: broken"), warnings.get(0));
    }
}
