package dev.turnpike.runtime.log;

import dev.turnpike.api.ConnectionSession;
import dev.turnpike.api.Session;
import dev.turnpike.runtime.config.AccessLogSettings;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request, after its logging phase, and one per tcp connection, to the SLF4J logger
 * {@code turnpike.access}. The shipped logback configuration sends that logger through an
 * asynchronous appender that never blocks, and the lines reach it from a thread of this log's own
 * ({@link AccessWriter}), so neither formatting nor I/O runs on an event loop: the loop copies a few
 * fields ({@link AccessEntry}) and queues them.
 *
 * <p>Lines leave in the order the exchanges ended, across all event loops. A 429 logs at WARN,
 * everything else at INFO. The fields of each format are listed in the README's Operating section
 * ({@link AccessLogFormat}).
 */
public final class AccessLog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("turnpike.access");

    private final boolean enabled;
    private final AccessLogFormat format;
    private final List<String> headerNames;
    private final AccessWriter writer;

    public AccessLog(AccessLogSettings settings) {
        this.enabled = settings.enabled();
        this.format = AccessLogFormat.of(settings);
        this.headerNames = format.headerNames();
        this.writer = enabled ? new AccessWriter(format, new AccessWriter.Sink() {
            @Override
            public void info(String lines) {
                log.info(lines);
            }

            @Override
            public void warn(String line) {
                log.warn(line);
            }
        }) : null;
    }

    /** An access log that writes nothing. */
    public static AccessLog off() {
        return new AccessLog(new AccessLogSettings(false, "text", null, 1 << 20, 1));
    }

    /**
     * A finished request: {@code uri} is the target as the client sent it, {@code tries} its
     * upstream attempts (null or empty for none), {@code unparsed} what the proxy saw of a head it
     * could not parse (null for a parsed one). On the request's event loop.
     */
    public void record(Session s, String uri, long endNanos, List<UpstreamTry> tries, UnparsedHead unparsed) {
        if (!enabled || !(s.status() == 429 ? log.isWarnEnabled() : log.isInfoEnabled())) {
            return;
        }
        writer.offer(AccessEntry.of(s, uri, endNanos, tries, unparsed, headerNames));
    }

    /**
     * A client that began a request head and never finished it within the header timeout: the
     * connection is closed without a response. On the connection's event loop.
     */
    public void recordUnfinishedHead(java.net.InetSocketAddress client, long startNanos, long endNanos, int headBytes,
                                     String reason) {
        if (!enabled || !log.isInfoEnabled()) {
            return;
        }
        writer.offer(AccessEntry.unfinishedHead(client, startNanos, endNanos, headBytes, reason));
    }

    /** A tcp listener's connection that ended. */
    public void record(ConnectionSession s) {
        if (!enabled || !log.isInfoEnabled()) {
            return;
        }
        writer.offer(AccessEntry.of(s));
    }

    /** Entries dropped because the writer was too far behind (exported as a metric). */
    public long dropped() {
        return writer == null ? 0 : writer.dropped();
    }

    /** Writes every queued line and stops the writer thread (the server's close). */
    @Override
    public void close() {
        if (writer != null) {
            writer.close();
        }
    }

    /** The line of a request, on its own (tests). */
    String format(Session s, String uri, long endNanos, List<UpstreamTry> tries, UnparsedHead unparsed) {
        StringBuilder sb = new StringBuilder(256);
        AccessEntry e = AccessEntry.of(s, uri, endNanos, tries, unparsed, headerNames);
        format.write(e, System.currentTimeMillis(), sb);
        return sb.toString();
    }

    /** The line of a connection, on its own (tests). */
    String format(ConnectionSession s) {
        StringBuilder sb = new StringBuilder(256);
        format.write(AccessEntry.of(s), System.currentTimeMillis(), sb);
        return sb.toString();
    }

    /** What the proxy saw of a request head it could not parse: its reason, and the bytes it had read. */
    public record UnparsedHead(String reason, int bytesSeen) {
    }
}
