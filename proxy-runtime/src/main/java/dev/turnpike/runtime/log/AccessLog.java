package dev.turnpike.runtime.log;

import dev.turnpike.api.ConnectionSession;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Session;
import dev.turnpike.runtime.config.AccessLogSettings;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One structured line per request, after its logging phase, to the SLF4J logger
 * {@code turnpike.access}. The shipped logback configuration sends that logger through an
 * asynchronous appender that never blocks (it drops lines when its queue is full rather than stall
 * an event loop), so no disk or console I/O runs on an event loop.
 *
 * <p>Fields, in order: {@code ts} (the end of the exchange, UTC), {@code client} (address:port of
 * the connection's peer), {@code method}, {@code path} (the request target as received, query
 * included), {@code status} (0: no response was sent), {@code duration_ms}, {@code bytes_in} and
 * {@code bytes_out} (body bytes from and to the client), {@code upstream} (the chosen backend or
 * {@code -}), {@code request_id}, {@code responded_by} (the plugin that answered by itself, or
 * {@code -}), {@code error} (what failed the request, or {@code -}). A 429 logs at WARN, everything
 * else at INFO.
 *
 * <p>Lines are batched per event loop: up to {@value #BATCH_LINES} lines (or {@value #BATCH_MILLIS} ms)
 * go to the logger as one multi-line event. Handing an event to the asynchronous appender costs a
 * lock and a thread wake-up, far more than formatting a line, so one hand-off per batch instead of
 * per request is what keeps the access log cheap. A WARN line goes out at once, after the batch
 * before it, so the order of lines is kept per loop.
 */
public final class AccessLog {

    private static final Logger log = LoggerFactory.getLogger("turnpike.access");
    static final int BATCH_LINES = 64;
    static final long BATCH_MILLIS = 50;
    private static final int BATCH_CHARS = 32 * 1024;

    /** The batch of the calling event loop. */
    private final ThreadLocal<Batch> batches = ThreadLocal.withInitial(Batch::new);

    private final boolean enabled;
    private final boolean json;

    public AccessLog(AccessLogSettings settings) {
        this.enabled = settings.enabled();
        this.json = settings.json();
    }

    /** An access log that writes nothing. */
    public static AccessLog off() {
        return new AccessLog(new AccessLogSettings(false, "text", null, 1 << 20, 1));
    }

    /** Writes the line for a finished request; {@code uri} is the target as the client sent it. */
    public void record(Session s, String uri, long endNanos) {
        if (!enabled) {
            return;
        }
        boolean warn = s.status() == 429;
        if (warn ? !log.isWarnEnabled() : !log.isInfoEnabled()) {
            return;
        }
        if (warn) {
            flushHere();
            log.warn(format(s, uri, endNanos));
            return;
        }
        Batch b = next();
        write(newLine(b.text), s, uri, endNanos);
        added(b, s.executor());
    }

    /** Writes the line for a tcp listener's connection that ended. */
    public void record(ConnectionSession s) {
        if (!enabled || !log.isInfoEnabled()) {
            return;
        }
        Batch b = next();
        write(newLine(b.text), s);
        added(b, s.executor());
    }

    /** The calling loop's batch, with the separator for one more line in it. */
    private Batch next() {
        Batch b = batches.get();
        if (b.lines > 0) {
            b.text.append('\n');
        }
        return b;
    }

    /** A line was written straight into the batch: it goes out when the batch is full or old. */
    private void added(Batch b, dev.turnpike.api.EventLoopExecutor executor) {
        b.lines++;
        if (b.lines >= BATCH_LINES || b.text.length() >= BATCH_CHARS) {
            flush(b);
        } else if (!b.flushScheduled) {
            b.flushScheduled = true;
            executor.schedule(() -> flush(b), BATCH_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    /** Hands the calling thread's pending lines to the logger (shutdown calls it on each loop). */
    public void flushHere() {
        flush(batches.get());
    }

    private static void flush(Batch b) {
        b.flushScheduled = false;
        if (b.lines > 0) {
            log.info(b.text.toString());
            b.text.setLength(0);
            b.lines = 0;
        }
    }

    /** The lines one event loop has not handed over yet. Confined to that loop. */
    private static final class Batch {
        final StringBuilder text = new StringBuilder(BATCH_CHARS + 1024);
        int lines;
        boolean flushScheduled;
    }

    /** The line of a request, on its own (the WARN line, and tests). */
    String format(Session s, String uri, long endNanos) {
        StringBuilder sb = new StringBuilder(256);
        write(newLine(sb), s, uri, endNanos);
        return sb.toString();
    }

    /** The line of a connection, on its own (tests). */
    String format(ConnectionSession s) {
        StringBuilder sb = new StringBuilder(256);
        write(newLine(sb), s);
        return sb.toString();
    }

    // Lines are written where they end up (the batch) rather than built and copied in: at tens of
    // thousands of lines a second the intermediate strings were a third of the log's cost.
    private Line newLine(StringBuilder into) {
        return json ? new JsonLine(into) : new TextLine(into);
    }

    private static void write(Line l, Session s, String uri, long endNanos) {
        Peer peer = s.peer();
        ProxyError error = s.error();
        l.field("ts", Timestamps.now());
        l.field("client", address(s.clientAddress()));
        l.field("method", s.request().method());
        l.field("path", uri);
        l.number("status", s.status());
        l.raw("duration_ms", millis(endNanos - s.startNanos()));
        l.number("bytes_in", s.requestBodyBytes());
        l.number("bytes_out", s.responseBodyBytes());
        l.field("upstream", peer == null ? null : peer.address());
        l.field("request_id", s.requestId());
        l.field("responded_by", s.respondedBy());
        l.field("error", error == null ? null : error.toString());
        l.end();
    }

    /**
     * A connection's line: {@code kind=tcp} first, so a reader (or a parser) tells it from a
     * request's; {@code bytes_in} came from the client, {@code bytes_out} went to it.
     */
    private static void write(Line l, ConnectionSession s) {
        Peer peer = s.peer();
        ProxyError error = s.error();
        l.field("ts", Timestamps.now());
        l.field("kind", "tcp");
        l.field("listener", s.listener());
        l.field("client", address(s.clientAddress()));
        l.raw("duration_ms", millis(s.endNanos() - s.startNanos()));
        l.number("bytes_in", s.bytesFromClient());
        l.number("bytes_out", s.bytesToClient());
        l.field("upstream", peer == null ? null : peer.address());
        l.number("attempts", s.upstreamAttempts());
        l.field("connection_id", s.connectionId());
        l.field("rejected_by", s.rejectedBy());
        l.field("reason", s.rejectReason());
        l.field("end", s.endReason());
        l.field("error", error == null ? null : error.toString());
        l.end();
    }

    /** Nanoseconds as milliseconds with three decimals, without a Formatter (it costs microseconds). */
    static String millis(long nanos) {
        long micros = Math.max(0, nanos / 1000);
        long frac = micros % 1000;
        return (micros / 1000) + (frac < 10 ? ".00" : frac < 100 ? ".0" : ".") + frac;
    }

    private static String address(InetSocketAddress a) {
        return a == null ? null : HostText.of(a.getAddress()) + ":" + a.getPort();
    }

    /** One line being written; a {@code null} value is absent (text: {@code -}; JSON: {@code null}). */
    private abstract static class Line {
        final StringBuilder sb;
        /** Where this line starts in {@link #sb}, which may hold lines before it. */
        final int start;

        Line(StringBuilder into) {
            this.sb = into;
            this.start = into.length();
        }

        abstract void field(String key, String value);

        abstract void raw(String key, String value);

        void number(String key, long value) {
            raw(key, Long.toString(value));
        }

        abstract void end();
    }

    /** {@code key=value key="value with spaces"}. */
    private static final class TextLine extends Line {
        TextLine(StringBuilder into) {
            super(into);
        }

        @Override
        void field(String key, String value) {
            sep().append(key).append('=');
            if (value == null || value.isEmpty()) {
                sb.append('-');
            } else if (needsQuotes(value)) {
                sb.append('"');
                escape(value, sb);
                sb.append('"');
            } else {
                sb.append(value);
            }
        }

        @Override
        void raw(String key, String value) {
            sep().append(key).append('=').append(value);
        }

        private StringBuilder sep() {
            return sb.length() == start ? sb : sb.append(' ');
        }

        private static boolean needsQuotes(String v) {
            for (int i = 0; i < v.length(); i++) {
                char c = v.charAt(i);
                if (c <= ' ' || c == '"' || c == '\\' || c >= 0x7f) {
                    return true;
                }
            }
            return false;
        }

        @Override
        void end() {
        }
    }

    /** {@code {"key":"value",...}}. */
    private static final class JsonLine extends Line {
        JsonLine(StringBuilder into) {
            super(into);
            sb.append('{');
        }

        @Override
        void field(String key, String value) {
            if (value == null) {
                raw(key, "null");
                return;
            }
            key(key).append('"');
            escape(value, sb);
            sb.append('"');
        }

        @Override
        void raw(String key, String value) {
            key(key).append(value);
        }

        private StringBuilder key(String key) {
            if (sb.length() > start + 1) {
                sb.append(',');
            }
            return sb.append('"').append(key).append("\":");
        }

        @Override
        void end() {
            sb.append('}');
        }
    }

    /** Escapes quotes, backslashes and control characters (JSON rules, also used for quoted text). */
    static void escape(String v, StringBuilder sb) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
    }
}
