package dev.turnpike.runtime.log;

import dev.turnpike.api.ConnectionSession;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.RequestHead;
import dev.turnpike.api.Session;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * What one access-log line says, taken on the event loop when the request (or tcp connection)
 * ends: references and numbers only, no formatting. The line is written from it later on the log's
 * own thread ({@link AccessWriter}), so the event loop pays for a copy of a few fields and a queue
 * hand-off, not for text.
 */
final class AccessEntry {

    /** When the exchange ended ({@link System#nanoTime}): lines leave in this order. */
    final long endNanos;
    final long startNanos;
    final boolean tcp;
    final InetSocketAddress client;
    /** Null for an unparseable head. */
    final String method;
    final String uri;
    final String protocol;
    final String host;
    final String userAgent;
    final String referer;
    /** The values of the headers the template names ({@link AccessLogFormat#headerNames}). */
    final String[] headers;
    final int status;
    final long bytesIn;
    final long bytesOut;
    final String upstream;
    final String group;
    final int attempts;
    final List<UpstreamTry> tries;
    final String requestId;
    final String respondedBy;
    final String error;
    final String reason;
    final int headBytes;
    // A tcp connection's own fields.
    final String listener;
    final String connectionId;
    final String rejectedBy;
    final String endReason;

    private AccessEntry(long endNanos, long startNanos, boolean tcp, InetSocketAddress client, String method, String uri,
                        String protocol, String host, String userAgent, String referer, String[] headers, int status,
                        long bytesIn, long bytesOut, Peer peer, int attempts, List<UpstreamTry> tries, String requestId,
                        String respondedBy, String error, String reason, int headBytes, String listener,
                        String connectionId, String rejectedBy, String endReason) {
        this.endNanos = endNanos;
        this.startNanos = startNanos;
        this.tcp = tcp;
        this.client = client;
        this.method = method;
        this.uri = uri;
        this.protocol = protocol;
        this.host = host;
        this.userAgent = userAgent;
        this.referer = referer;
        this.headers = headers;
        this.status = status;
        this.bytesIn = bytesIn;
        this.bytesOut = bytesOut;
        this.upstream = peer == null ? null : peer.address();
        this.group = peer == null ? null : peer.group();
        this.attempts = attempts;
        this.tries = tries;
        this.requestId = requestId;
        this.respondedBy = respondedBy;
        this.error = error;
        this.reason = reason;
        this.headBytes = headBytes;
        this.listener = listener;
        this.connectionId = connectionId;
        this.rejectedBy = rejectedBy;
        this.endReason = endReason;
    }

    /**
     * A request's entry. {@code uri} is the target as the client sent it; {@code unparsed} is what
     * the proxy saw of a head it could not parse (then method, target and protocol are unknown), or
     * null; {@code headerNames} the extra headers the template reads.
     */
    static AccessEntry of(Session s, String uri, long endNanos, List<UpstreamTry> tries, AccessLog.UnparsedHead unparsed,
                          List<String> headerNames) {
        ProxyError e = s.error();
        String reason = null;
        if (unparsed != null) {
            reason = unparsed.reason();
        } else if (e != null && e.pluginId() != null) {
            // Which plugin failed it; its exception's text goes to the error log, never here.
            reason = e.pluginId() + " in " + e.phase();
        } else if (e != null) {
            reason = e.message(); // the engine's own words: which backend, which timeout, which TLS check
        }
        if (unparsed != null) {
            return new AccessEntry(endNanos, s.startNanos(), false, s.clientAddress(), null, null, null, null, null, null,
                    new String[headerNames.size()], s.status(), s.requestBodyBytes(), s.responseBodyBytes(), null, 0,
                    null, s.requestId(), s.respondedBy(), e == null ? null : e.kind().label(), reason,
                    unparsed.bytesSeen(), null, null, null, null);
        }
        RequestHead r = s.request();
        dev.turnpike.api.Headers h = r.headers();
        String[] values = new String[headerNames.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = h.get(headerNames.get(i));
        }
        return new AccessEntry(endNanos, s.startNanos(), false, s.clientAddress(), r.method(), uri, r.version(),
                h.get("host"), h.get("user-agent"), h.get("referer"), values, s.status(), s.requestBodyBytes(),
                s.responseBodyBytes(), s.peer(), s.upstreamAttempts(), tries, s.requestId(), s.respondedBy(),
                e == null ? null : e.kind().label(), reason, -1, null, null, null, null);
    }

    /** A request head that never ended (the header timeout): no request, no response, a client timeout. */
    static AccessEntry unfinishedHead(InetSocketAddress client, long startNanos, long endNanos, int headBytes, String reason) {
        return new AccessEntry(endNanos, startNanos, false, client, null, null, null, null, null, null, new String[0], 0, 0, 0,
                null, 0, null, null, null, dev.turnpike.api.ErrorKind.CLIENT_TIMEOUT.label(), reason, headBytes, null, null,
                null, null);
    }

    /** A tcp listener's connection that ended. */
    static AccessEntry of(ConnectionSession s) {
        ProxyError e = s.error();
        return new AccessEntry(s.endNanos(), s.startNanos(), true, s.clientAddress(), null, null, null, null, null, null,
                null, 0, s.bytesFromClient(), s.bytesToClient(), s.peer(), s.upstreamAttempts(), null, null, null,
                e == null ? null : e.kind().label(), s.rejectReason(), -1, s.listener(), s.connectionId(),
                s.rejectedBy(), s.endReason());
    }

    /** A 429 logs at WARN. */
    boolean warn() {
        return !tcp && status == 429;
    }
}
