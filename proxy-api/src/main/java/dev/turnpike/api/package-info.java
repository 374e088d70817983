/**
 * The Turnpike plugin API: what a plugin author compiles against, and nothing else.
 *
 * <h2>The request path</h2>
 * Every request runs through five fixed phases, in this order, each over the plugins of the chain
 * in the order {@code conf/proxy.yaml} gives:
 * <ol>
 *   <li>{@link dev.turnpike.api.ProxyPlugin#requestFilter request_filter}: the request head has
 *       been read; a plugin may answer on its own (a 429, a 403) and end the chain.</li>
 *   <li>{@link dev.turnpike.api.ProxyPlugin#upstreamPeer upstream_peer}: choose the backend. The
 *       first plugin that names a {@link dev.turnpike.api.Peer} wins.</li>
 *   <li>{@link dev.turnpike.api.ProxyPlugin#upstreamRequestFilter upstream_request_filter}: edit
 *       the head that goes upstream.</li>
 *   <li>{@link dev.turnpike.api.ProxyPlugin#responseFilter response_filter}: edit the response
 *       head before it goes to the client.</li>
 *   <li>{@link dev.turnpike.api.ProxyPlugin#logging logging}: always, exactly once, last, also
 *       after a short-circuit, an upstream error or a client abort.</li>
 * </ol>
 * When an attempt to reach the chosen backend fails before its response head, the failure hooks
 * {@link dev.turnpike.api.ProxyPlugin#failToConnect fail_to_connect} and
 * {@link dev.turnpike.api.ProxyPlugin#errorWhileProxying error_while_proxying} run, and may send the
 * request back to {@code upstream_peer} for another backend (the runtime decides whether that is
 * safe: see {@link dev.turnpike.api.UpstreamFailure#retryable()}).
 *
 * <h2>Background work</h2>
 * A plugin's own timers run on {@link dev.turnpike.api.PluginContext#executor()}, its active health
 * checks through {@link dev.turnpike.api.PluginContext#probes()}, and state it wants to survive a
 * configuration reload lives in {@link dev.turnpike.api.PluginContext#carriedState()}.
 *
 * <h2>The one rule: never block the event loop</h2>
 * Every phase runs on the event loop thread that owns the client connection. That thread serves
 * thousands of other connections: a phase that sleeps, waits on a lock held elsewhere, does file
 * or network I/O, or calls {@code Future.get()}/{@code join()} stalls all of them. Work that takes
 * time is started from the phase and handed back as {@link dev.turnpike.api.Outcome#later}; timers
 * go through {@link dev.turnpike.api.Session#executor()}.
 *
 * <h2>What this module does not contain</h2>
 * No Netty type and no runtime type: the runtime changes its internals freely underneath. The
 * objects a phase receives are views over the runtime's own objects, valid only for the request
 * and only on its event loop; do not keep them after {@code logging}.
 */
package dev.turnpike.api;
