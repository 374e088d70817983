package dev.turnpike.testkit;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;

/**
 * The testkit's own class-path plugin, always on offer under the id {@value #ID}: sends every
 * request to one backend, so a test needs no load-balancer jar to reach its {@link TestBackend}.
 *
 * <pre>{@code
 * plugins:
 *   chain:
 *     - id: my-plugin
 *     - id: testkit-upstream
 *       config: { backend: ${backend.a} }
 * }</pre>
 *
 * <p>Config: {@code backend} (required), {@code host:port}. Its upstream_peer runs on an event loop
 * and only returns the configured peer.
 */
public final class FixedUpstream implements ProxyPlugin<Void> {

    /** The id chain entries name it by. */
    public static final String ID = "testkit-upstream";

    private volatile Peer peer;

    @Override
    public void start(PluginContext context) {
        peer = Peer.parse(context.config().string("backend"));
    }

    @Override
    public Outcome upstreamPeer(Session session, Void ctx) {
        return Outcome.upstream(peer);
    }
}
