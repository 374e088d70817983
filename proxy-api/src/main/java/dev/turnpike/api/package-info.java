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
