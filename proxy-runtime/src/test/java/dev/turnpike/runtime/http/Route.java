package dev.turnpike.runtime.http;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import java.util.concurrent.atomic.AtomicInteger;

/** A minimal in-test upstream_peer plugin: the given ports of 127.0.0.1, in turn. */
final class Route implements ProxyPlugin<Void> {

    private final Peer[] peers;
    private final AtomicInteger next = new AtomicInteger();

    Route(int... ports) {
        peers = new Peer[ports.length];
        for (int i = 0; i < ports.length; i++) {
            peers[i] = Peer.of("127.0.0.1", ports[i]);
        }
    }

    @Override
    public Outcome upstreamPeer(Session session, Void ctx) {
        return Outcome.upstream(peers[Math.floorMod(next.getAndIncrement(), peers.length)]);
    }
}
