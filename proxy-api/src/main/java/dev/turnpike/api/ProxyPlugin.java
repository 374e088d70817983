package dev.turnpike.api;

import org.pf4j.ExtensionPoint;

/**
 * A plugin's part in the request path: one instance per entry of the chain in
 * {@code conf/proxy.yaml}, called for every request that passes through the proxy.
 *
 * <p>Implement the phases you need and mark the class {@code @org.pf4j.Extension}; every phase has
 * a default that does nothing. A plugin jar provides exactly one {@code ProxyPlugin} extension.
 *
 * <h2>Threads</h2>
 * {@link #start} and {@link #stop} run on the runtime's management thread. Every phase method and
 * {@link #newContext} run on the event loop that owns the request's client connection, always the
 * same one for a given request, and one request's phases never run concurrently. The same instance
 * serves every event loop at once: shared state must be thread-safe (and should not be a global
 * lock on the hot path).
 *
 * <h2>Blocking</h2>
 * A phase must never block: no sleeping, no blocking I/O, no waiting on futures or contended locks.
 * A phase that needs time returns {@link Outcome#later(java.util.concurrent.CompletionStage)}; the
 * runtime resumes the chain on the request's event loop when the stage completes.
 *
 * <h2>Failures</h2>
 * A phase that throws, returns {@code null}, returns an outcome its phase does not allow, or
 * completes its stage exceptionally fails that request only: the client gets a 500 (unless the
 * response has already started), the log names the plugin and the phase, and the proxy keeps
 * serving. {@link #logging} still runs for every plugin.
 *
 * <h2>Lifetime</h2>
 * An instance belongs to one generation of the chain. When the chain is rebuilt (a jar or the
 * config changed), new requests go to new instances while requests already in flight finish on
 * the old ones; {@link #stop} runs after the last of them. Keep no state in static fields.
 *
 * @param <C> the per-request context this plugin keeps ({@link Void} for none)
 */
public interface ProxyPlugin<C> extends ExtensionPoint {

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
     * {@link Outcome#upstream(Peer)}; when none does, the client gets 502. May also answer directly
     * with {@link Outcome#respond} (for instance 503 when every backend is known to be down).
     *
     * <p>Allowed outcomes: {@code proceed} (not mine: ask the next plugin), {@code upstream},
     * {@code respond}, {@code later}.
     */
    default Outcome upstreamPeer(Session session, C ctx) {
        return Outcome.proceed();
    }

    /**
     * <b>upstream_request_filter</b>: the peer is chosen and the request head is about to be sent.
     * May edit method, URI and headers of {@link Session#request()}; hop-by-hop headers and framing
     * are the runtime's (it recomputes them after this phase). {@link Session#peer()} is set.
     *
     * <p>Allowed outcomes: {@code proceed}, {@code respond}, {@code later}.
     */
    default Outcome upstreamRequestFilter(Session session, C ctx) {
        return Outcome.proceed();
    }

    /**
     * <b>response_filter</b>: the backend's response head has arrived (its body has not been
     * forwarded yet). May edit status and headers of {@link Session#response()}. Not called for a
     * response written by {@link Outcome#respond} or by the runtime for an error.
     *
     * <p>Allowed outcomes: {@code proceed}, {@code later}.
     */
    default Outcome responseFilter(Session session, C ctx) {
        return Outcome.proceed();
    }

    /**
     * <b>logging</b>: the exchange is over (answered, failed, or abandoned by the client). Runs
     * exactly once per request for every plugin of the chain that started the request, last, on the
     * event loop. Read-only: {@link Session#status()}, {@link Session#error()}, byte counts and
     * timings are final. Must not block (hand disk or network I/O to another thread); a throw is
     * logged and counted, and changes nothing.
     */
    default void logging(Session session, C ctx) {
    }
}
