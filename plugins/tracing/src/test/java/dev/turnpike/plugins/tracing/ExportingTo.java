package dev.turnpike.plugins.tracing;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.function.Function;

/** A span exporter for tests whose export is {@code export}; flush and shutdown succeed and do nothing. */
final class ExportingTo implements SpanExporter {

    private final Function<Collection<SpanData>, CompletableResultCode> export;

    ExportingTo(Function<Collection<SpanData>, CompletableResultCode> export) {
        this.export = export;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        return export.apply(spans);
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }
}
