package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ProxyError;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;

/**
 * What an {@link Attempt} reports to: the request it belongs to (through {@link Attempts}). The
 * events of one try, in order: connected, head sent, interim heads, the response head and its
 * parts with a flush point after each read batch, or a failure. Called on the request's event loop.
 */
interface AttemptOwner {
    /** The connection is ready and the head about to be written (connected_to_upstream). */
    void connected(Attempt attempt);

    /** The head went out: the body may follow. */
    void headSent(Attempt attempt);

    /** An informational (1xx) response other than 100. */
    void interim(Attempt attempt, HttpResponse head);

    void responseHead(Attempt attempt, HttpResponse head);

    /** A part of the response body; a {@code LastHttpContent} ends it. Ownership passes. */
    void responseContent(Attempt attempt, HttpContent part);

    /** The end of a read batch from the backend: the moment to flush to the client. */
    void readBatchDone();

    /** The attempt failed; it has let its connection go. */
    void failed(Attempt attempt, ProxyError error);

    /** Whether the backend takes bytes again (false: pause the client's upload). */
    void writabilityChanged(Attempt attempt, boolean writable);

    /** A clock was armed: make sure the request's deadlines are looked at by then. */
    void due(long deadline);

    /** Whether a client read batch is in progress (writes upstream are flushed at its end). */
    boolean inClientRead();
}
