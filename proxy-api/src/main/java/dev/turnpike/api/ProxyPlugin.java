package dev.turnpike.api;

import org.pf4j.ExtensionPoint;

/**
 * A plugin's part in the request path: one instance per entry of the chain in
 * {@code conf/proxy.yaml}, called for every request that passes through the proxy.
 *
 * <p>Implement the phases you need and mark the class {@code @org.pf4j.Extension}; every phase has
 * a default that does nothing, and the runtime calls a phase only on the plugins that override it
 * (in the class or in an interface of its own), so an unused phase costs nothing.
 *
 * <h2>The phases, in order</h2>
 * <pre>
 * request_filter ─▶ upstream_peer ─▶ upstream_request_filter ─▶ connected_to_upstream
 *        │              ▲                                     ─▶ request_body_filter (per chunk)
 *        │              └── fail_to_connect / error_while_proxying (a retry goes back up)
 *        │          response_filter ─▶ response_body_filter (per chunk)
 *        │   (any error, before the response started) ─▶ fail_to_proxy
 *        └──────────────────────────────────────────────────▶ logging (always, last)
 * </pre>
 *
 * <h2>Threads</h2>
 * {@link #start} and {@link #stop} run on the runtime's management thread. Every phase method and
 * {@link #newContext} run on the event loop that owns the request's client connection, always the
 * same one for a given request, so one request's phases never run at the same time. They may
 * interleave, though: while one phase waits on {@link Outcome#later}, a body chunk may be filtered,
 * or the response head arrive. The same instance serves every event loop at once: shared state must
 * be thread-safe (and should not be a global lock on the hot path).
 *
 * <h2>Blocking</h2>
 * A phase must never block: no sleeping, no blocking I/O, no waiting on futures or contended locks.
 * A phase that needs time returns {@link Outcome#later(java.util.concurrent.CompletionStage)}; the
 * runtime resumes the chain on the request's event loop when the stage completes. A stage that does
 * not complete within {@code plugins.phase_timeout} (default 10s) fails the request.
 *
 * <h2>Failures</h2>
 * A phase that throws, returns {@code null}, returns an outcome its phase does not allow, completes
 * its stage exceptionally or not in time, fails that request only, as an {@link ErrorKind#PLUGIN}
 * error: the client gets a 500 (or, once the response has started, a cut connection), the log names
 * the plugin and the phase (at most one line per plugin and kind per second), and
 * {@code turnpike_plugin_errors_total} counts it. {@link #logging} still runs for every plugin.
 *
 * <h2>Upstream failures and retries</h2>
 * When an attempt to reach the chosen backend fails, the runtime calls {@link #failToConnect} or
 * {@link #errorWhileProxying} (Pingora's hooks of the same names), and a plugin may ask for the
 * request to be tried again; {@code upstream_peer} then runs again to choose the next backend. Only
 * the backend's failures come here: a client that is slow or goes away is the client's.
 *
 * <h2>Lifetime</h2>
 * An instance belongs to one generation of the chain. When the chain is rebuilt (a jar or the
 * config changed), new requests go to new instances while requests already in flight finish on
 * the old ones; {@link #stop} runs after the last of them. Keep no state in static fields.
 *
 * @param <C> the per-request context this plugin keeps ({@link Void} for none)
 */
public interface ProxyPlugin<C> extends ExtensionPoint {

    /** The most attempts (the first and its retries) the runtime makes for one request. */
    int MAX_ATTEMPTS = 10;

    /**
     * Called once, before the instance serves any request, with the plugin's own config section.
     * Validate it here: throw {@link dev.turnpike.api.config.InvalidConfigException} naming the key
     * and the reason, and the runtime refuses the configuration (at start: exit; on reload: the old
     * configuration stays in force). Every key of the section must be read, or it is refused as
     * unknown.
     *
     * <p>Runs on the management thread. May block briefly (read a file the config names), may
     * start background work (which {@link #stop} must end).
     */
    default void start(PluginContext context) throws Exception {
    }

    /**
     * Called once, after the last request that used this instance has finished. Stop every thread
     * and timer the plugin started and drop references into the runtime: anything left running keeps
     * the plugin's class loader alive. Runs on the management thread; must not throw.
     */
    default void stop() {
    }

    /**
     * Called once, when the chain holding this instance is in force and every request of the chains
     * before it has ended: at start, right after the chain is built; after a reload, once the previous
     * generation has drained (an instance a reload kept is not called again). For work that must wait
     * until no older instance serves traffic, such as dropping the metric series of backends the new
     * configuration no longer has ({@link dev.turnpike.api.metrics.PluginMetrics#forget}).
     *
     * <p>Runs on the management thread, never an event loop; requests may already be running through
     * this instance. May block briefly. A throw is logged and counted and changes nothing: the
     * instance stays in the chain. A chain replaced before it was activated is never activated.
     */
    default void activated() {
    }

    /**
     * Creates this plugin's context for one request, before {@code request_filter}. The same object
     * is handed to every phase of that request and dropped after {@code logging}. Runs on the event
     * loop; must be cheap. The default has no context ({@code null}).
     */
    default C newContext(Session session) {
        return null;
    }

    /**
     * <b>request_filter</b>: the request head has been read (the body may still be arriving).
     *
     * <p>May: read and edit {@link Session#request()}; answer with {@link Outcome#respond}, which
     * ends the chain: later plugins' request filters, the upstream phases and {@code response_filter}
     * do not run, nothing is sent upstream, and the response goes out as given. {@link Outcome#later}
     * to decide asynchronously.
     *
     * <p>Allowed outcomes: {@code proceed}, {@code respond}, {@code later}.
     */
    default Outcome requestFilter(Session session, C ctx) {
        return Outcome.proceed();
    }

    /**
     * <b>upstream_peer</b>: choose the backend. Plugins are asked in chain order until one returns
     * {@link Outcome#upstream(Peer)}; when none does, the client gets 502 ({@link ErrorKind#NO_PEER}).
     * May also answer directly with {@link Outcome#respond} (for instance 503 when every backend is
     * known to be down). Runs again after a failed attempt that a failure hook asked to retry:
     * {@link Session#peer()} then names the backend that failed.
     *
     * <p>Allowed outcomes: {@code proceed} (not mine: ask the next plugin), {@code upstream},
     * {@code respond}, {@code later}.
     */
    default Outcome upstreamPeer(Session session, C ctx) {
        return Outcome.proceed();
    }

    /**
     * <b>upstream_request_filter</b>: the peer is chosen and the request head is about to be sent.
     * May edit method, URI and headers of {@link Session#upstreamRequest()} (the client's
     * {@link Session#request()} is read-only now); hop-by-hop headers and framing are the runtime's
     * (it recomputes them after this phase), except that a plugin whose {@code request_body_filter}
     * changes the body's length declares it with {@link RequestHead#setBodyLength}.
     * {@link Session#peer()} is set. Hop-by-hop headers a plugin sets here (Connection, Upgrade,
     * TE, ...) are not sent: the connection's headers are the runtime's. Runs for every attempt the
     * failure hooks ask for, each time on a new upstream head made from the client's, so edits are
     * never applied twice. (The runtime's own resend after a pooled connection lost the keep-alive
     * race goes to the same backend with the same head, without running it again.)
     *
     * <p>Allowed outcomes: {@code proceed}, {@code respond}, {@code later}.
     */
    default Outcome upstreamRequestFilter(Session session, C ctx) {
        return Outcome.proceed();
    }

    /**
     * <b>connected_to_upstream</b>: the attempt has its connection to {@link Session#peer()}, new or
     * from the pool, and the head is about to be written on it. For observation (metrics, tracing):
     * it cannot change the request or refuse it. Runs for every attempt, on the event loop,
     * synchronously; must be cheap and never block. A throw fails the request with 500.
     */
    default void connectedToUpstream(Session session, C ctx, UpstreamConnection connection) {
    }

    /**
     * <b>request_body_filter</b>: one chunk of the request body is about to go to the backend. Runs
     * in chain order for every chunk of a request that has a body, after the upstream head was sent
     * (so after {@code upstream_request_filter}), the last call with {@link BodyChunk#last()} true.
     * A chunk goes through the filters once: a retry sends again what came out of them.
     *
     * <p>May replace or clear the chunk, or add to the end of the body by replacing the last chunk. A
     * plugin that changes the body's length declares it in {@code upstream_request_filter}
     * ({@link RequestHead#setBodyLength}): a body framed by Content-Length that comes out at another
     * length fails the request (the backend would misread the stream), declared or not.
     * {@link Outcome#later} pauses the body (and the client's upload with it: backpressure) until the
     * stage completes; {@link Outcome#respond} refuses the request (a WAF's 403): the attempt is
     * dropped and the response goes out as given.
     *
     * <p>Allowed outcomes: {@code proceed}, {@code respond}, {@code later}.
     */
    default Outcome requestBodyFilter(Session session, C ctx, BodyChunk chunk) {
        return Outcome.proceed();
    }

    /**
     * <b>fail_to_connect</b>: opening a connection to {@link Session#peer()} failed (refused,
     * unreachable, connect timeout, unresolvable name). Nothing was sent, so the failure is
     * {@linkplain UpstreamFailure#retryable() retryable} whatever the method, unless the client has
     * gone.
     *
     * <p>Called for every plugin of the chain that implements it, in chain order, each time an
     * attempt fails; a balancer uses it to count the failure against the backend (passive health)
     * even when it does not want a retry. Return {@code true} to ask for another attempt: when any
     * plugin asks and the failure is retryable, {@code upstream_peer} runs again (for every plugin,
     * from the first; {@link Session#peer()} is still the failed peer, so a balancer can pick
     * another one), then {@code upstream_request_filter} runs on a new upstream head, and the
     * request goes to the new peer. When no plugin asks, the client gets 502 (504 for a connect
     * timeout). The runtime stops after {@value #MAX_ATTEMPTS} attempts whatever the hooks say; a
     * plugin enforces its own, smaller, retry budget with {@link UpstreamFailure#attempt()}.
     *
     * <p>Runs on the request's event loop, synchronously: no {@code later}, never block. A throw fails
     * the request with 500 like any phase.
     */
    default boolean failToConnect(Session session, C ctx, UpstreamFailure failure) {
        return false;
    }

    /**
     * <b>error_while_proxying</b>: the connection to {@link Session#peer()} was open and the request
     * (or part of it) went out, but the backend reset or closed it, stayed silent for its read
     * timeout, took no bytes for its write timeout, or answered with something that is not HTTP,
     * before its response head arrived. It is also told of such a failure after the head arrived (a
     * reset or a stall mid-body), so a balancer's passive health sees it; that one is never
     * retryable (the client is being answered).
     *
     * <p>The backend may have acted on the request, so the runtime honours a retry only for an
     * idempotent method (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) whose body, as far as it went out,
     * was kept: the runtime keeps up to {@code upstream.retry_body_limit} of it (a body still
     * arriving from the client follows the kept part on the new attempt); once more than that has
     * gone out, no retry. See {@link UpstreamFailure#retryable()}. Everything else about the call
     * (every plugin, chain order, what {@code true} does, the attempt cap, the thread) is as for
     * {@link #failToConnect}. When no retry happens the client gets 502, or 504 for a timeout.
     */
    default boolean errorWhileProxying(Session session, C ctx, UpstreamFailure failure) {
        return false;
    }

    /**
     * <b>response_filter</b>: the backend's response head has arrived (its body has not been
     * forwarded yet). May edit status and headers of {@link Session#response()}, and declare a body
     * length the {@code response_body_filter}s will change ({@link ResponseHead#setBodyLength}). Not
     * called for a response written by {@link Outcome#respond} or by the runtime for an error. While
     * a stage of it is pending, the proxy stops reading from the backend (its silence clock stops
     * too: the wait is the plugin's, not the backend's).
     *
     * <p>Allowed outcomes: {@code proceed}, {@code later}.
     */
    default Outcome responseFilter(Session session, C ctx) {
        return Outcome.proceed();
    }

    /**
     * <b>response_body_filter</b>: one chunk of the backend's response body is about to go to the
     * client. Runs in chain order for every chunk of a response that has a body, the last call with
     * {@link BodyChunk#last()} true. May replace or clear the chunk, or add to the end of the body by
     * replacing the last one; a plugin that changes the length declares it in
     * {@code response_filter} ({@link ResponseHead#setBodyLength}). {@link Outcome#later} pauses the
     * response (the proxy stops reading from the backend: backpressure) until the stage completes.
     * Costs nothing when no plugin of the chain implements it.
     *
     * <p>Allowed outcomes: {@code proceed}, {@code later}.
     */
    default Outcome responseBodyFilter(Session session, C ctx, BodyChunk chunk) {
        return Outcome.proceed();
    }

    /**
     * <b>fail_to_proxy</b>: the request failed before any of its response reached the client, and
     * the runtime is about to answer with an error ({@link ProxyError#status()}: 400, 408, 500, 502,
     * 504...). Return a {@link Response} to send that instead, for instance a JSON error body for an
     * API; {@code null} leaves it to the next plugin, and finally to the runtime's own text answer.
     * The first plugin in chain order that returns one wins.
     *
     * <p>Not called when the client has gone ({@link ErrorKind#CLIENT_ABORT}), when the response
     * had started (then the connection is cut), nor for a request whose head could not be parsed
     * (no phase runs for those). Runs on the event loop, synchronously; never block. A throw is
     * logged and counted, and the next plugin is asked; an invalid page (a header name that is not
     * a token) is logged and counted too. When none gives a page, the runtime's own answer goes out.
     */
    default Response failToProxy(Session session, C ctx, ProxyError error) {
        return null;
    }

    /**
     * <b>logging</b>: the exchange is over (answered, failed, or abandoned by the client). Runs
     * exactly once per request for every plugin of the chain that started the request, last, on the
     * event loop. Read-only: {@link Session#status()}, {@link Session#error()}, both request heads,
     * byte counts and timings are final. Must not block (hand disk or network I/O to another
     * thread); a throw is logged and counted, and changes nothing.
     */
    default void logging(Session session, C ctx) {
    }
}
