package dev.turnpike.api;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * The connection an attempt got to its backend, as {@link ProxyPlugin#connectedToUpstream} sees it.
 * Immutable.
 *
 * @param peer          the backend this connection goes to
 * @param reused        whether it came from the pool (it carried earlier requests) rather than being opened now
 * @param connectTime   how long opening it took; zero for a reused connection
 * @param localAddress  the proxy's end of the connection
 * @param remoteAddress the backend's end of the connection (its resolved address)
 */
public record UpstreamConnection(Peer peer, boolean reused, Duration connectTime, InetSocketAddress localAddress,
                                 InetSocketAddress remoteAddress) {

    public UpstreamConnection {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(connectTime, "connectTime");
    }
}
