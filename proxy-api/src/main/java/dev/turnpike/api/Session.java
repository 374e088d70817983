package dev.turnpike.api;

import java.net.InetSocketAddress;

/**
 * One request as the phases see it: the client connection, the request and response heads, the
 * chosen peer, and (for {@code logging}) how it ended. A view over the runtime's own objects, not a
 * copy: valid from {@code newContext} to the end of {@code logging}, on the request's event loop
 * only. Do not keep it, or anything it returns, beyond that.
 */
public interface Session {

    /** This request's id: unique per process, for logs and for the X-Request-Id header. */
    String requestId();

    /** The address of the peer of the client connection (a load balancer, when there is one). */
    InetSocketAddress clientAddress();

    /** The proxy's own address the client connected to. */
    InetSocketAddress localAddress();

    /** Whether the client connection uses TLS. */
    boolean isTls();

    /** How many requests this client connection carried before this one (0 for the first). */
    long connectionRequestIndex();

    RequestHead request();

    /**
     * The response head: {@code null} until the backend's response arrives (or a response is written
     * on the request's behalf). See {@link ResponseHead} for when it may be edited.
     */
    ResponseHead response();

    /**
     * The peer chosen in {@code upstream_peer}, or {@code null} before that (or when none was). After
     * a failed attempt it stays the failed peer until {@code upstream_peer} chooses again.
     */
    Peer peer();

    /** The event loop this request runs on, for timers and hand-backs. */
    EventLoopExecutor executor();

    /** {@link System#nanoTime()} when the request head had been read. */
    long startNanos();

    // ---- How it ended: final in logging, partial before. ----

    /** The status sent to the client, or 0 when no response was started (for instance, a client abort). */
    int status();

    /** What failed the request (upstream error, timeout, plugin error, client abort), or {@code null}. */
    Throwable error();

    /** The id of the plugin that answered in a phase with {@link Outcome#respond}, or {@code null}. */
    String respondedBy();

    /**
     * The status the backend answered with, before any {@code response_filter} edit; 0 when no
     * backend answered (no peer chosen, connect failure, reset or timeout before the head, or a
     * response written by a plugin or the runtime).
     */
    int upstreamStatus();

    /** How many backend attempts this request made: 0 when none was tried, more than 1 after retries. */
    int upstreamAttempts();

    /** Bytes of request body received from the client. */
    long requestBodyBytes();

    /** Bytes of response body sent to the client. */
    long responseBodyBytes();
}
