package dev.turnpike.plugins.tracing;

import dev.turnpike.api.metrics.Counter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The exporter the batch processor calls, in front of the real one: counts the spans each export
 * delivered or lost, and says so in one WARN line at most per {@link #WARN_INTERVAL_NANOS} while the
 * collector cannot be reached (the SDK's own report of that is silenced, see {@link Telemetry}).
 *
 * <p>Runs on the batch processor's worker thread (and, for the outcome, the HTTP sender's), never
 * on an event loop.
 */
final class CountingExporter implements SpanExporter {

    static final long WARN_INTERVAL_NANOS = 60_000_000_000L;

    /** Where the WARN line goes (SLF4J in the proxy, a list in tests). */
    @FunctionalInterface
    interface Warn {
        void warn(String line);
    }

    private final SpanExporter delegate;
    private final Counter exported;
    private final String target;
    private final Warn warn;
    private final LongSupplier nanoClock;
    private final AtomicLong lostSinceWarn = new AtomicLong();
    private final AtomicLong lastWarn;

    CountingExporter(SpanExporter delegate, Counter exported, String target, Warn warn, LongSupplier nanoClock) {
        this.delegate = delegate;
        this.exported = exported;
        this.target = target;
        this.warn = warn;
        this.nanoClock = nanoClock;
        this.lastWarn = new AtomicLong(nanoClock.getAsLong() - WARN_INTERVAL_NANOS);
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        int n = spans.size();
        CompletableResultCode result;
        try {
            result = delegate.export(spans);
        } catch (RuntimeException e) {
            result = CompletableResultCode.ofExceptionalFailure(e);
        }
        CompletableResultCode outcome = result;
        outcome.whenComplete(() -> {
            if (outcome.isSuccess()) {
                exported.add(n, "ok");
            } else {
                exported.add(n, "failed");
                lost(n, outcome.getFailureThrowable());
            }
        });
        return outcome;
    }

    private void lost(int n, Throwable why) {
        long lost = lostSinceWarn.addAndGet(n);
        long now = nanoClock.getAsLong();
        long last = lastWarn.get();
        if (now - last >= WARN_INTERVAL_NANOS && lastWarn.compareAndSet(last, now)) {
            lostSinceWarn.addAndGet(-lost);
            warn.warn("tracing: could not export spans to " + target + " (" + describe(why) + "); " + lost
                    + " span(s) dropped since the last report. Requests are not affected; at most one such line a minute");
        }
    }

    private static String describe(Throwable why) {
        if (why == null) {
            return "the collector refused them or did not answer in time";
        }
        String message = why.getMessage();
        return why.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    @Override
    public CompletableResultCode flush() {
        return delegate.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
        return delegate.shutdown();
    }

    @Override
    public String toString() {
        return "CountingExporter{" + delegate + "}";
    }
}
