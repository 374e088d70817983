/**
 * The Turnpike plugin API: what a plugin author compiles against, and nothing else.
 *
 * <h2>The request path</h2>
 * Every request runs through fixed phases, in this order, each over the plugins of the chain in
 * the order {@code conf/proxy.yaml} gives (only the plugins that override a phase are called):
 * <ol>
 *   <li>{@link dev.turnpike.api.ProxyPlugin#requestFilter request_filter}: the request head has
 *       been read; a plugin may answer on its own (a 429, a 403) and end the chain.</li>
 *   <li>{@link dev.turnpike.api.ProxyPlugin#upstreamPeer upstream_peer}: choose the backend. The
 *       first plugin that names a {@link dev.turnpike.api.Peer} wins.</li>
 *   <li>{@link dev.turnpike.api.ProxyPlugin#upstreamRequestFilter upstream_request_filter}: edit
 *       the head that goes upstream ({@link dev.turnpike.api.Session#upstreamRequest()}; the
 *       client's own head stays as received).</li>
 *   <li>{@link dev.turnpike.api.ProxyPlugin#connectedToUpstream connected_to_upstream}: the
 *       attempt has its connection; observe it.</li>
 *   <li>{@link dev.turnpike.api.ProxyPlugin#requestBodyFilter request_body_filter}: each chunk of
 *       the request body on its way up ({@link dev.turnpike.api.BodyChunk}).</li>
 *   <li>{@link dev.turnpike.api.ProxyPlugin#responseFilter response_filter}: edit the response
 *       head before it goes to the client.</li>
 *   <li>{@link dev.turnpike.api.ProxyPlugin#responseBodyFilter response_body_filter}: each chunk
 *       of the response body on its way down.</li>
 *   <li>{@link dev.turnpike.api.ProxyPlugin#logging logging}: always, exactly once, last, also
 *       after a short-circuit, an upstream error or a client abort.</li>
 * </ol>
 * When an attempt to reach the chosen backend fails, the failure hooks
 * {@link dev.turnpike.api.ProxyPlugin#failToConnect fail_to_connect} and
 * {@link dev.turnpike.api.ProxyPlugin#errorWhileProxying error_while_proxying} run, and may send the
 * request back to {@code upstream_peer} for another backend (the runtime decides whether that is
 * safe: see {@link dev.turnpike.api.UpstreamFailure#retryable()}). When the request fails before
 * its response started, {@link dev.turnpike.api.ProxyPlugin#failToProxy fail_to_proxy} may write
 * the error page.
 *
 * <h2>The connection path (L4)</h2>
 * A {@code tcp:} listener relays bytes and never reads HTTP. Its chain runs the connection-level
 * phases of {@link dev.turnpike.api.ConnectionPlugin}, once per connection:
 * {@link dev.turnpike.api.ConnectionPlugin#connectionFilter connection_filter} (serve or
 * {@link dev.turnpike.api.Outcome#reject reject} the client),
 * {@link dev.turnpike.api.ConnectionPlugin#upstreamPeer upstream_peer} and
 * {@link dev.turnpike.api.ConnectionPlugin#failToConnect fail_to_connect} (retry on another backend
 * before any byte is relayed), then {@link dev.turnpike.api.ConnectionPlugin#logging logging}. A
 * plugin's extension implements {@code ConnectionPlugin} beside {@code ProxyPlugin} to serve there.
 *
 * <h2>Errors</h2>
 * Every failure is a {@link dev.turnpike.api.ProxyError} of one {@link dev.turnpike.api.ErrorKind}:
 * the client's (gone, too slow, a bad request), a backend's (refused, timed out, reset, invalid), a
 * plugin's, or the proxy's. The kind decides the status, whom the log and metrics blame, and whether
 * the failure hooks hear of it: a client's failure never counts against a backend.
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
