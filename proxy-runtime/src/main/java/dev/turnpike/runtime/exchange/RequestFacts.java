package dev.turnpike.runtime.exchange;

import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;

/**
 * What one request has come to, as its {@link SessionView} (and so the logging phase and the access
 * log) reads it: written by the coordinator as the request goes, read by the view. A plain record of
 * facts rather than getters on the coordinator, so the view depends on data, not on the engine.
 * Confined to the request's event loop.
 */
final class RequestFacts {

    final String requestId;
    final long index;
    final long startNanos = System.nanoTime();
    /** The peer the last upstream_peer chose (after a failure, still the failed one until the next choice). */
    Peer peer;
    /** The current (or last) attempt's head. */
    UpstreamHead upstreamHead;
    /** What failed the request: the first failure that was not retried. */
    ProxyError error;
    /** The plugin that answered on its own. */
    String respondedBy;
    /** The backend's own status, before any response_filter edit. */
    int upstreamStatus;
    /** Bytes a tunnel relayed after a 101: client to backend, and back. */
    long tunnelUp;
    /** The origin a forward request names ({@code Session.forwardTarget}), or null. */
    dev.turnpike.api.HostPort forwardTarget;
    long tunnelDown;

    RequestFacts(String requestId, long index) {
        this.requestId = requestId;
        this.index = index;
    }
}
