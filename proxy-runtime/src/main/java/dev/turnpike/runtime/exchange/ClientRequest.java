package dev.turnpike.runtime.exchange;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;

/**
 * A request as its client connection drives it: what the connection hands it (body parts, the
 * end of a read batch, writability, the close, the timer's ticks) and asks of it. The engine behind
 * it is package-private; this is all the connection sees. Confined to the connection's event loop.
 */
public interface ClientRequest {

    /**
     * The request whose head {@code client} just decoded; {@link #start()} runs it. Two steps, so the
     * connection knows its current request before any of it runs: a request may be answered, and
     * finished, within its start.
     */
    static ClientRequest create(Downstream client, HttpRequest head, long index) {
        return new ProxyRequest(client, head, index);
    }

    /** Checks the head, then runs the request-side phases, as far as they go now. */
    void start();

    /** A part of the request body from the client (ownership passes). */
    void onRequestContent(HttpContent content);

    /** Whether the client's request has arrived whole (the next bytes are the next request). */
    boolean requestComplete();

    /** The end of a client read batch: flush what went upstream during it. */
    void flushUpstream();

    /** The client connection's writability changed: pause or resume reading from the backend. */
    void onClientWritabilityChanged(boolean writable);

    /** The client connection closed under this request. */
    void onClientClosed();

    /**
     * The connection's timer asks: fails whatever waited too long (a plugin's stage, the client's
     * body or reading, the backend, the total budget). Returns when to look again (0: nothing waits).
     */
    long checkDeadlines(long now);
}
