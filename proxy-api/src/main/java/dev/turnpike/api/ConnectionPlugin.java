package dev.turnpike.api;

/**
 * The connection-level phases: what a plugin does for the {@code tcp:} listeners (L4 proxying),
 * where the proxy relays bytes between a client connection and a backend connection and never reads
 * HTTP. Implemented beside {@link ProxyPlugin} by the plugin's one extension class (the
 * {@code @Extension} is still the {@code ProxyPlugin}: lifecycle, {@code start}, {@code stop} and
 * {@link PluginContext} are the same). An entry of a {@code tcp[i].chain} may name only a plugin
 * whose extension implements this interface; the configuration is refused otherwise. A plugin may
 * serve both kinds of chain: each chain entry gets its own instance, and
 * {@link PluginContext#chainKind()} tells the instance which kind it serves.
 *
 * <h2>The phases, in order, once per accepted connection</h2>
 * <pre>
 * connection_filter ─▶ upstream_peer ─▶ (connect) ─▶ relay ─▶ logging (always, last)
 *        │                  ▲                │
 *        │                  └─ fail_to_connect (a retry goes back up, before any byte is relayed)
 *        └──(reject)────────────────────────────────────────▶ logging
 * </pre>
 * The client's bytes that arrive while the phases run are not read: the socket holds them, and they
 * are relayed once the backend's connection is open (after the PROXY protocol header, when the
 * listener sends one).
 *
 * <h2>Threads, blocking and failures</h2>
 * As for {@link ProxyPlugin}: every phase runs on the event loop that owns the client connection,
 * the same one for the whole connection; a phase never blocks and answers
 * {@link Outcome#later} when it needs time (the connection waits, up to
 * {@code plugins.phase_timeout}). A phase that throws, returns {@code null} or an outcome it does
 * not allow, or whose stage fails or times out, fails that connection only, as an
 * {@link ErrorKind#PLUGIN} error: the client's connection is closed (there is no status to answer
 * with), the log names the plugin and the phase (throttled), {@code turnpike_plugin_errors_total}
 * counts it, and {@link #logging} still runs for every plugin.
 *
 * <h2>Lifetime</h2>
 * A connection holds the chain generation it was accepted with until its {@code logging} is done,
 * so after a reload, connections already relaying finish on the old instances (a long-lived
 * connection keeps the old generation's plugins loaded until it closes).
 *
 * @param <D> the per-connection context this plugin keeps ({@link Void} for none)
 */
public interface ConnectionPlugin<D> {

    /**
     * Creates this plugin's context for one connection, before {@code connection_filter}; the same
     * object goes to every connection phase and is dropped after {@code logging}. Runs on the event
     * loop; must be cheap. The default has no context ({@code null}).
     */
    default D newConnectionContext(ConnectionSession session) {
        return null;
    }

    /**
     * <b>connection_filter</b>: a client connected to a {@code tcp} listener; nothing has been read
     * from it. Decide whether to serve it, typically by {@link ConnectionSession#clientAddress()}.
     * {@link Outcome#reject} closes the connection at once (no backend is chosen or connected; the
     * reason goes to the access log); later plugins' filters do not run.
     *
     * <p>Allowed outcomes: {@code proceed}, {@code reject}, {@code later}.
     */
    default Outcome connectionFilter(ConnectionSession session, D ctx) {
        return Outcome.proceed();
    }

    /**
     * <b>upstream_peer</b>: choose the backend of this connection. Plugins are asked in chain order
     * until one returns {@link Outcome#upstream(Peer)}; when none does, the connection is closed
     * ({@link ErrorKind#NO_PEER}). {@link Outcome#reject} closes it too (for instance when every
     * backend is known to be down). Runs again after a failed connect that a {@code fail_to_connect}
     * hook asked to retry: {@link ConnectionSession#peer()} then names the backend that failed.
     * A peer with {@link Peer#tls()} gets a TLS connection from the proxy (the client's bytes are
     * relayed inside it).
     *
     * <p>Allowed outcomes: {@code proceed} (not mine: ask the next plugin), {@code upstream},
     * {@code reject}, {@code later}.
     */
    default Outcome upstreamPeer(ConnectionSession session, D ctx) {
        return Outcome.proceed();
    }

    /**
     * <b>fail_to_connect</b>: opening the connection to {@link ConnectionSession#peer()} failed
     * (refused, unreachable, connect timeout, unresolvable name, TLS handshake). No byte of the
     * client's has been relayed, so the failure is {@linkplain UpstreamFailure#retryable()
     * retryable} unless the client has gone (reset or closed its connection; a client that only
     * half-closed is still served, and what it sent is relayed). Called for every plugin of the chain that implements
     * it, in chain order (a balancer counts the failure against the backend even when it asks for
     * no retry). Return {@code true} to ask for another attempt: when any plugin asks and the
     * failure is retryable, {@code upstream_peer} runs again and the connection goes to the peer it
     * chooses. When no plugin asks, the client's connection is closed. The runtime stops after
     * {@value ProxyPlugin#MAX_ATTEMPTS} attempts whatever the hooks say.
     *
     * <p>Synchronous, on the event loop: no {@code later}, never block.
     */
    default boolean failToConnect(ConnectionSession session, D ctx, UpstreamFailure failure) {
        return false;
    }

    /**
     * <b>logging</b>: the connection is over: rejected, failed, or relayed until both sides closed
     * (or the idle timeout, or shutdown's grace period, closed them). Runs exactly once per connection
     * for every plugin of the chain, last, on the event loop. Read-only: {@link ConnectionSession}'s
     * peer, error, byte counts and end time are final. Must not block; a throw is logged and counted,
     * and changes nothing.
     */
    default void logging(ConnectionSession session, D ctx) {
    }
}
