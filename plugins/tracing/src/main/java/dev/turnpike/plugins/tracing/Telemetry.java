package dev.turnpike.plugins.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One plugin instance's OpenTelemetry SDK: a tracer provider with the configured resource and
 * sampler, and a batch processor that hands spans to the exporter on its own worker thread. Ending
 * a span on an event loop only puts it in the processor's bounded, lock-free queue; when the queue
 * is full the span is dropped. Nothing here is global: no {@code GlobalOpenTelemetry}, no context
 * made current, and the SDK's own metrics go to a no-op meter provider.
 *
 * <p>{@link #create} and {@link #shutdown} run on the management thread; {@link #tracer()} is
 * thread-safe.
 */
final class Telemetry {

    static final String SCOPE = "dev.turnpike.tracing";
    /** What stop() allows beyond the exports' own timeouts, and for the SDK's threads to end. */
    static final long SHUTDOWN_SLACK_MILLIS = 2_000;

    /** Makes the exporter that sends the batches (the OTLP one in the proxy, an in-memory one in tests). */
    @FunctionalInterface
    interface ExporterFactory {
        SpanExporter create(TracingSettings settings);
    }

    /** The OTLP/HTTP exporter over the JDK's HttpClient, as configured. */
    static final ExporterFactory OTLP = s -> {
        OtlpHttpSpanExporterBuilder b = OtlpHttpSpanExporter.builder()
                .setEndpoint(s.endpoint.toString())
                .setTimeout(s.timeout)
                .setCompression(s.compression == TracingSettings.Compression.GZIP ? "gzip" : "none")
                .setMeterProvider(MeterProvider::noop)
                // The sender is found through ServiceLoader; the plugin's loader has the relocated one.
                .setServiceClassLoader(Telemetry.class.getClassLoader());
        for (Map.Entry<String, String> h : s.headers.entrySet()) {
            b.addHeader(h.getKey(), h.getValue());
        }
        return b.build();
    };

    /**
     * The SDK logs a failed export at SEVERE through java.util.logging, on a format of its own;
     * {@link CountingExporter} reports it instead. Held here so the level lasts as long as this
     * instance (the JDK's LogManager keeps loggers weakly); never reset, since a newer instance of
     * the same jar shares the logger.
     */
    private final Logger quietExportLog;
    private final SdkTracerProvider provider;
    private final Tracer tracer;
    private final SdkThreads threads;
    private final long shutdownMillis;

    private Telemetry(Logger quietExportLog, SdkTracerProvider provider, SdkThreads threads, long shutdownMillis) {
        this.quietExportLog = quietExportLog;
        this.provider = provider;
        this.tracer = provider.get(SCOPE);
        this.threads = threads;
        this.shutdownMillis = shutdownMillis;
    }

    /**
     * Builds the SDK on a thread of its own group (see {@link SdkThreads}), exporting through
     * {@code exporter} as {@code wrap} wraps it.
     */
    static Telemetry create(TracingSettings s, String name, ExporterFactory exporter,
                            java.util.function.UnaryOperator<SpanExporter> wrap) throws InterruptedException {
        Logger quiet = Logger.getLogger(exporterLoggerName());
        quiet.setLevel(Level.OFF);
        SdkThreads threads = new SdkThreads("turnpike-tracing[" + name + "]");
        SdkTracerProvider provider = threads.build(() -> SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.builder()
                        .put(AttributeKey.stringKey("service.name"), s.serviceName)
                        .build()))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(s.sampleRatio)))
                .setMeterProvider(MeterProvider::noop)
                .addSpanProcessor(BatchSpanProcessor.builder(wrap.apply(exporter.create(s)))
                        .setMaxQueueSize(s.maxQueue)
                        .setMaxExportBatchSize(s.maxBatch)
                        .setScheduleDelay(s.flushInterval)
                        .setExporterTimeout(s.timeout)
                        .setMeterProvider(MeterProvider::noop)
                        .build())
                .build());
        // A flush at stop may wait for one export in progress and then the last batch.
        long shutdownMillis = 2 * s.timeout.toMillis() + SHUTDOWN_SLACK_MILLIS;
        return new Telemetry(quiet, provider, threads, shutdownMillis);
    }

    /**
     * The package the exporters (and their HTTP client) log under, as the build relocated it:
     * {@code <prefix>.io.opentelemetry.exporter}.
     */
    private static String exporterLoggerName() {
        String otlp = OtlpHttpSpanExporter.class.getPackageName();
        return otlp.substring(0, otlp.lastIndexOf(".otlp.http.trace"));
    }

    Tracer tracer() {
        return tracer;
    }

    /**
     * Exports what is queued now and waits for it, for at most {@code millis}; whether it all went
     * out. A flush asked for just after another may be answered with that one's result (the SDK's
     * batch processor completes it before clearing the request), so this is a best effort and
     * tests compare the exported and ended counts as well.
     */
    boolean flush(long millis) {
        return provider.forceFlush().join(millis, TimeUnit.MILLISECONDS).isSuccess();
    }

    /**
     * Flushes the queue and shuts the exporter down, waiting at most twice the export timeout (an
     * export in progress, then the last batch) plus a little, then ends the SDK's threads (an
     * export still running then is abandoned). Returns what was left: an empty list when
     * everything stopped.
     */
    List<String> shutdown() throws InterruptedException {
        provider.shutdown().join(shutdownMillis, TimeUnit.MILLISECONDS);
        return threads.end(SHUTDOWN_SLACK_MILLIS);
    }

    long shutdownMillis() {
        return shutdownMillis;
    }
}
