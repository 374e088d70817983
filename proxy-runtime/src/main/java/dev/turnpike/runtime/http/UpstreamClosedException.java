package dev.turnpike.runtime.http;

import dev.turnpike.api.Peer;

/** The backend closed its connection before the exchange was complete. */
public final class UpstreamClosedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    UpstreamClosedException(Peer peer) {
        super("backend " + peer + " closed the connection", null, false, false);
    }
}
