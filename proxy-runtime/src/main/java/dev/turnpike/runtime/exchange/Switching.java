package dev.turnpike.runtime.exchange;

import dev.turnpike.runtime.tunnel.Tunnel;
import dev.turnpike.runtime.upstream.PooledConnection;
import dev.turnpike.runtime.wire.Upgrades;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

/**
 * How a request may leave HTTP: an upgrade the backend may grant with a 101, or a CONNECT whose
 * target connection is open. Either way, once the client has its answer, the two connections
 * become a {@link Tunnel} and the request's logging waits for the tunnel's end.
 */
final class Switching {

    /** The protocols the client asked to switch to (its Upgrade), or null: no upgrade. */
    private final String upgrade;
    /** A CONNECT's open connection to its target, from its connect to the tunnel's end. */
    private Channel connectTarget;
    private boolean open;

    /**
     * What every ordinary request shares: no upgrade, and no CONNECT (it is never given a target),
     * so the request path makes no object for what almost no request does.
     */
    private static final Switching NONE = new Switching(null);

    private Switching(String upgrade) {
        this.upgrade = upgrade;
    }

    /**
     * How {@code request} may leave HTTP. An upgrade follows the rule the decoder held the
     * connection's next bytes by: HTTP/1.1 without body bytes (no framing, or a length of 0, which
     * the JDK's WebSocket client sends). A forward request may be a CONNECT, which gets its target.
     */
    static Switching of(HttpRequest request, IncomingHead in, boolean forward) {
        String upgrade = in.decoded() && !in.http10() && (!in.hasBody() || in.contentLength() == 0)
                && request.headers().contains(HttpHeaderNames.UPGRADE) ? Upgrades.requested(request.headers()) : null;
        return upgrade == null && !forward ? NONE : new Switching(upgrade);
    }

    /** After the hop-by-hop headers went: the one that says what the request is stays, for plugins and the backend. */
    void keepUpgrade(HttpRequest request) {
        if (upgrade != null) {
            request.headers().set(HttpHeaderNames.UPGRADE, upgrade);
        }
    }

    /** The head for the backend asks for the upgrade too. */
    void askBackend(UpstreamHead head) {
        if (upgrade != null) {
            head.upgrade();
        }
    }

    void connectTarget(Channel target) {
        if (this == NONE) {
            throw new IllegalStateException("a CONNECT target for a request that is not a forward request");
        }
        connectTarget = target;
    }

    /** Whether the answer just written switches the connection: a 101, or a CONNECT's 200. */
    boolean switches(int status) {
        return !open && (status == 101 || connectTarget != null);
    }

    /**
     * Opens the tunnel: to the CONNECT's target, or to the backend connection the 101 came on.
     *
     * @return false when there is no connection to open it to (a plugin made the answer a 101)
     */
    boolean open(Downstream client, ClientRequest request, Attempts attempts, Tunnel.Listener ended) {
        if (connectTarget != null) {
            open = true;
            client.openTunnel(request, connectTarget, null, "connect", ended);
            return true;
        }
        PooledConnection upstream = attempts.takeSwitched();
        if (upstream == null) {
            return false;
        }
        open = true;
        String kind = upgrade != null && upgrade.equalsIgnoreCase("websocket") ? "websocket" : "upgrade";
        client.openTunnel(request, upstream.channel(), upstream.decoder(), kind, ended);
        return true;
    }

    /** At the request's end: a CONNECT target still open (the client left before the tunnel) is closed. */
    void close() {
        if (connectTarget != null) {
            connectTarget.close();
        }
    }
}
