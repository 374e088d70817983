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

    /** Whether the client connection uses TLS (it came in on {@code server.tls.listen}). */
    default boolean isTls() {
        return tls() != null;
    }

    /**
     * The client connection's TLS: protocol, cipher, SNI name and the client's certificate, or
     * {@code null} for a cleartext connection.
     */
    TlsInfo tls();

    /** How many requests this client connection carried before this one (0 for the first). */
    long connectionRequestIndex();

    /**
     * The request as the client sent it: hop-by-hop headers removed, {@code X-Request-Id} added,
     * and edited by {@code request_filter} and the first {@code upstream_peer}. Read-only from the
     * first {@code upstream_request_filter} on (an edit throws {@link IllegalStateException}): what
     * goes to the backend is {@link #upstreamRequest()}.
     */
    RequestHead request();

    /**
     * The request head of the current attempt, the one that goes to the backend: made from
     * {@link #request()} before each {@code upstream_request_filter} (a retry starts again from the
     * client's head, so edits are never applied twice), editable in that phase and read-only after.
     * {@code null} before the first {@code upstream_request_filter}; in {@code logging}, the last
     * attempt's head. An edit costs only itself: the head is an overlay on the client's, not a copy.
     */
    RequestHead upstreamRequest();

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

    /**
     * The origin a forward request names, or {@code null} for an ordinary (reverse-proxied) request.
     * Set only when the proxy's {@code forward_proxy} is enabled, for two kinds of request:
     * <ul>
     *   <li>{@code CONNECT host:port}: the authority it names. {@code request_filter} runs (it may
     *       answer, for instance 407 to ask for proxy credentials); {@code upstream_peer},
     *       {@code upstream_request_filter}, the body filters, the response phases and the failure
     *       hooks do not. The runtime then checks the target against the forward policy, connects,
     *       answers {@code 200 Connection Established} and relays bytes (nothing is decrypted);
     *       {@code logging} runs once the tunnel has ended.</li>
     *   <li>an absolute-form {@code http://host[:port]/path} target: its host and port (80 when none
     *       is written). {@code request_filter}, {@code upstream_request_filter}, the body filters,
     *       the response phases and {@code logging} run; {@code upstream_peer} and the failure hooks
     *       do not: the backend is the origin the target names, and {@link #peer()} is its checked
     *       IP address once it is resolved.</li>
     * </ul>
     * The host is in lower case, an IPv6 literal without brackets. Constant for the request.
     */
    default HostPort forwardTarget() {
        return null;
    }

    /** The event loop this request runs on, for timers and hand-backs. */
    EventLoopExecutor executor();

    /** {@link System#nanoTime()} when the request head had been read. */
    long startNanos();

    // ---- How it ended: final in logging, partial before. ----

    /** The status sent to the client, or 0 when no response was started (for instance, a client abort). */
    int status();

    /**
     * What failed the request, or {@code null} when nothing did: its {@link ErrorKind} says whose
     * fault it was (the client's, a backend's, a plugin's, the proxy's).
     */
    ProxyError error();

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
