package dev.turnpike.plugins.tracing;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamConnection;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.api.metrics.Counter;
import java.util.List;
import java.util.function.LongSupplier;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenTelemetry tracing of the request path: a SERVER span per request, started from the client's
 * W3C {@code traceparent}/{@code tracestate} (or a new trace when there is none, or with
 * {@code trust_incoming: false}), and a CLIENT span per upstream attempt, whose context goes to the
 * backend in the upstream head; a retry shows as a second CLIENT span. Spans are exported over
 * OTLP/HTTP in batches by the SDK's own worker thread.
 *
 * <h2>Phases</h2>
 * {@code request_filter} starts the SERVER span; {@code upstream_request_filter} starts an attempt's
 * CLIENT span and injects its context; {@code connected_to_upstream} records the connection;
 * {@code fail_to_connect} and {@code error_while_proxying} end the attempt with its error (and never
 * ask for a retry: that is the balancer's call); {@code response_filter} records the backend's
 * status; {@code logging} ends what is still open. The trace context lives in the per-request
 * {@link RequestTrace}, never in a ThreadLocal.
 *
 * <h2>Threads</h2>
 * The phases run on every event loop at once and only start and end spans: ending one puts it in
 * the batch processor's bounded queue (a full queue drops it), never waits on the collector.
 * {@link #start} builds the SDK (its threads in a group of their own, {@link SdkThreads});
 * {@link #stop} flushes it, within a bound, and waits for those threads, so none is left holding the
 * plugin's class loader.
 *
 * <p>Configuration: {@link TracingSettings} and the module's README.
 */
@Extension
public final class Tracing implements ProxyPlugin<RequestTrace> {

    static final String ENDED_METRIC = "tracing_spans_ended_total";
    static final String EXPORTED_METRIC = "tracing_spans_exported_total";

    private static final Logger LOG = LoggerFactory.getLogger(Tracing.class);

    private final Telemetry.ExporterFactory exporters;
    private final CountingExporter.Warn warn;
    private final LongSupplier nanoTime;
    private volatile Telemetry telemetry;
    private volatile SpanRecorder recorder;
    private volatile TracingSettings settings;

    /** The plugin as the proxy loads it: OTLP/HTTP to the configured collector, WARN lines through SLF4J. */
    public Tracing() {
        this(Telemetry.OTLP, LOG::warn, System::nanoTime);
    }

    /**
     * For tests: another exporter (in memory), the WARN lines captured, and the clock the sessions'
     * {@link Session#startNanos()} is read on (a fake event loop's virtual one).
     */
    Tracing(Telemetry.ExporterFactory exporters, CountingExporter.Warn warn, LongSupplier nanoTime) {
        this.exporters = exporters;
        this.warn = warn;
        this.nanoTime = nanoTime;
    }

    @Override
    public void start(PluginContext context) throws InterruptedException {
        TracingSettings s = TracingSettings.parse(context.config());
        Counter ended = context.metrics().counter(ENDED_METRIC,
                "Sampled spans the tracing plugin ended and queued for export.");
        Counter exported = context.metrics().counter(EXPORTED_METRIC,
                "Spans the tracing plugin's exporter delivered to the collector (result=ok) or lost (result=failed)."
                        + " Ended minus both is what the full queue dropped, or is still queued.", "result");
        Telemetry t = Telemetry.create(s, context.pluginId(), exporters,
                e -> new CountingExporter(e, exported, s.endpoint.toString(), warn, System::nanoTime));
        settings = s;
        telemetry = t;
        SpanRecorder r = new SpanRecorder(t.tracer(), s.trustIncoming, ended, nanoTime);
        try {
            r.warmUp();
        } catch (RuntimeException | Error e) {
            stop(); // the SDK's threads are running: a start that fails must not leave them behind
            throw e;
        }
        recorder = r;
    }

    @Override
    public void stop() {
        Telemetry t = telemetry;
        telemetry = null;
        recorder = null;
        if (t == null) {
            return;
        }
        try {
            List<String> alive = t.shutdown();
            if (!alive.isEmpty()) {
                warn.warn("tracing: the OpenTelemetry SDK's threads " + alive + " had not ended " + t.shutdownMillis()
                        + " ms after stop (a slow collector?); they end on their own once its export gives up");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public RequestTrace newContext(Session session) {
        return recorder == null ? null : new RequestTrace();
    }

    @Override
    public Outcome requestFilter(Session session, RequestTrace trace) {
        SpanRecorder r = recorder;
        if (r != null && trace != null) {
            r.startServer(session, trace);
        }
        return Outcome.proceed();
    }

    @Override
    public Outcome upstreamRequestFilter(Session session, RequestTrace trace) {
        SpanRecorder r = recorder;
        if (r != null && trace != null) {
            r.startAttempt(session, trace);
        }
        return Outcome.proceed();
    }

    @Override
    public void connectedToUpstream(Session session, RequestTrace trace, UpstreamConnection connection) {
        SpanRecorder r = recorder;
        if (r != null && trace != null) {
            r.connected(trace, connection);
        }
    }

    @Override
    public boolean failToConnect(Session session, RequestTrace trace, UpstreamFailure failure) {
        return attemptFailed(trace, failure);
    }

    @Override
    public boolean errorWhileProxying(Session session, RequestTrace trace, UpstreamFailure failure) {
        return attemptFailed(trace, failure);
    }

    private boolean attemptFailed(RequestTrace trace, UpstreamFailure failure) {
        SpanRecorder r = recorder;
        if (r != null && trace != null) {
            r.attemptFailed(trace, failure);
        }
        return false;
    }

    @Override
    public Outcome responseFilter(Session session, RequestTrace trace) {
        SpanRecorder r = recorder;
        if (r != null && trace != null) {
            r.upstreamAnswered(session, trace);
        }
        return Outcome.proceed();
    }

    @Override
    public void logging(Session session, RequestTrace trace) {
        SpanRecorder r = recorder;
        if (r != null && trace != null) {
            r.finish(session, trace);
        }
    }

    // ---- for tests ----

    /** Exports what is queued and waits, up to {@code millis}; whether it all went. */
    boolean flush(long millis) {
        Telemetry t = telemetry;
        return t == null || t.flush(millis);
    }

    TracingSettings settings() {
        return settings;
    }
}
