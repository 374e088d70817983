package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyError;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log lines of failed requests, throttled: at most one line per second for each error kind and
 * plugin, the next one saying how many were left out. A plugin that fails every request, or a
 * backend that is down, would otherwise write a line (and a stack trace) per request from the event
 * loops, and the logging would cost more than the requests. Every error is still counted in the
 * metrics and written to the access log. Thread-safe: all event loops share one.
 *
 * <p>Levels: plugin and internal faults at ERROR (with the stack trace), backend failures at WARN,
 * and what clients do (go away, send garbage, dawdle) at DEBUG: that is normal traffic.
 */
public final class ErrorLog {

    private static final Logger log = LoggerFactory.getLogger("dev.turnpike.runtime.errors");
    private static final long WINDOW_NANOS = 1_000_000_000L;

    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();
    private final LongSupplier clock;

    public ErrorLog() {
        this(System::nanoTime);
    }

    ErrorLog(LongSupplier clock) {
        this.clock = clock;
    }

    /** Logs (or counts as left out) one request's failure; {@code request} describes the request. */
    public void report(ProxyError error, Object request) {
        ErrorKind kind = error.kind();
        boolean severe = kind.side() == ErrorKind.Side.PLUGIN || kind == ErrorKind.INTERNAL;
        boolean client = kind.side() == ErrorKind.Side.CLIENT;
        if (client ? !log.isDebugEnabled() : severe ? !log.isErrorEnabled() : !log.isWarnEnabled()) {
            return;
        }
        String key = error.pluginId() == null ? kind.label() : kind.label() + '/' + error.pluginId();
        long left = windows.computeIfAbsent(key, k -> new Window()).admit(clock.getAsLong());
        if (left < 0) {
            return;
        }
        String more = left == 0 ? "" : " (" + left + " more like it in the last second not logged)";
        if (client) {
            log.debug("{}: {}{}", request, error, more);
        } else if (severe) {
            log.error("{}: {}{}", request, error, more, error.cause());
        } else {
            log.warn("{}: {}{}", request, error, more);
        }
    }

    /** One key's throttle: a line may go out once per window; the rest are counted. */
    private static final class Window {
        private final AtomicLong opened = new AtomicLong(Long.MIN_VALUE);
        private final AtomicLong suppressed = new AtomicLong();

        /** -1 when this line is left out; otherwise how many were left out since the last one logged. */
        long admit(long now) {
            long start = opened.get();
            if (start != Long.MIN_VALUE && now - start < WINDOW_NANOS) {
                suppressed.incrementAndGet();
                return -1;
            }
            if (!opened.compareAndSet(start, now)) {
                suppressed.incrementAndGet(); // another loop took this window's line
                return -1;
            }
            return suppressed.getAndSet(0);
        }
    }
}
