package dev.turnpike.runtime.log;

import dev.turnpike.api.Peer;
import dev.turnpike.api.Session;
import dev.turnpike.runtime.config.AccessLogSettings;
import java.net.InetSocketAddress;
import java.time.Instant;
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
 */
public final class AccessLog {

    private static final Logger log = LoggerFactory.getLogger("turnpike.access");

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
        String line = format(s, uri, endNanos);
        if (warn) {
            log.warn(line);
        } else {
            log.info(line);
        }
    }

    String format(Session s, String uri, long endNanos) {
        Peer peer = s.peer();
        Throwable error = s.error();
        Line l = json ? new JsonLine() : new TextLine();
        l.field("ts", Instant.now().toString());
        l.field("client", address(s.clientAddress()));
        l.field("method", s.request().method());
        l.field("path", uri);
        l.number("status", s.status());
        l.raw("duration_ms", String.format(java.util.Locale.ROOT, "%.3f", (endNanos - s.startNanos()) / 1e6));
        l.number("bytes_in", s.requestBodyBytes());
        l.number("bytes_out", s.responseBodyBytes());
        l.field("upstream", peer == null ? null : peer.address());
        l.field("request_id", s.requestId());
        l.field("responded_by", s.respondedBy());
        l.field("error", error == null ? null : error.getMessage() != null ? error.getMessage() : error.getClass().getSimpleName());
        return l.end();
    }

    private static String address(InetSocketAddress a) {
        return a == null ? null : a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** One line being written; a {@code null} value is absent (text: {@code -}; JSON: {@code null}). */
    private abstract static class Line {
        final StringBuilder sb = new StringBuilder(256);

        abstract void field(String key, String value);

        abstract void raw(String key, String value);

        void number(String key, long value) {
            raw(key, Long.toString(value));
        }

        abstract String end();
    }

    /** {@code key=value key="value with spaces"}. */
    private static final class TextLine extends Line {
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
            return sb.length() == 0 ? sb : sb.append(' ');
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
        String end() {
            return sb.toString();
        }
    }

    /** {@code {"key":"value",...}}. */
    private static final class JsonLine extends Line {
        JsonLine() {
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
            if (sb.length() > 1) {
                sb.append(',');
            }
            return sb.append('"').append(key).append("\":");
        }

        @Override
        String end() {
            return sb.append('}').toString();
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
