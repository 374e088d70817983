package dev.turnpike.runtime.l4;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.chain.ConnectionChain;
import dev.turnpike.runtime.chain.ConnectionPhase;
import dev.turnpike.runtime.exchange.ProxyContext;
import dev.turnpike.runtime.exchange.UpstreamErrors;
import dev.turnpike.runtime.tunnel.Tunnel;
import dev.turnpike.runtime.upstream.UpstreamConnector;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import java.util.List;

/**
 * One client connection of a tcp listener, from accept to its logging: the connection phases
 * choose a backend, the connector opens it (again, on another backend, while a fail_to_connect
 * hook asks and nothing has been relayed), the PROXY protocol header goes first when the listener
 * sends one, and then the {@link Tunnel} relays until both sides are closed.
 *
 * <p>The client's channel does not read until the tunnel is in place: what the client sends
 * meanwhile waits in its socket, so nothing needs buffering and a slow phase pushes back on the
 * client through TCP. Confined to the connection's event loop.
 */
final class TcpConnection implements ConnectionPhases.Owner {

    /** Where the connection is. */
    enum State {
        /** connection_filter is running. */
        FILTERING,
        /** upstream_peer is running (first choice, or after a failed connect). */
        CHOOSING,
        /** A backend connect is under way. */
        CONNECTING,
        /** The tunnel relays; it says when it is over. */
        RELAYING,
        /** Logged and released. */
        DONE
    }

    private final TcpListener listener;
    private final ProxyContext proxy;
    private final Channel client;
    private final UpstreamConnector connector;
    private final TcpSession session;
    private final HeldBytes held;
    private Chain chain;
    private ConnectionPhases phases;
    private State state = State.FILTERING;
    /** The backend connect under way (CONNECTING), cancelled if the client leaves meanwhile. */
    private Future<Channel> connecting;

    /** @param held the client pipeline's holder of early bytes, handed to the tunnel */
    TcpConnection(TcpListener listener, Channel client, UpstreamConnector connector, TcpSession session, HeldBytes held) {
        this.held = held;
        this.listener = listener;
        this.proxy = listener.proxy();
        this.client = client;
        this.connector = connector;
        this.session = session;
    }

    State state() {
        return state;
    }

    /** Takes the chain in force and runs connection_filter. */
    void start() {
        proxy.metrics().tcp().accepted(session.listener());
        chain = proxy.acquireChain();
        ConnectionChain connections = chain.connections(session.listener());
        if (connections == null) {
            // A reload took this listener's chain away; the listener itself lives until a restart.
            // Every entry of its chain is optional and left out (their plugins are not loaded).
            fail(ProxyError.of(ErrorKind.INTERNAL, "tcp listener " + session.listener() + " has no plugin in the chain"
                    + " in force: its optional entries are left out until their plugins are loaded", null));
            return;
        }
        phases = new ConnectionPhases(connections, session, client.eventLoop(), this, proxy.metrics(),
                proxy.phaseTimeout().toNanos());
        client.closeFuture().addListener(f -> clientClosed());
        ProxyError failed = phases.newContexts();
        if (failed != null) {
            pluginFailed(failed);
            return;
        }
        phases.run(ConnectionPhase.CONNECTION_FILTER);
    }

    @Override
    public void decided(ConnectionPhase phase, Outcome decision, ChainLink by) {
        if (state == State.DONE) {
            return;
        }
        if (decision != null && decision.kind() == Outcome.Kind.REJECT) {
            session.rejectedBy = by.pluginId();
            session.rejectReason = decision.reason();
            finish();
        } else if (phase == ConnectionPhase.CONNECTION_FILTER) {
            state = State.CHOOSING;
            phases.run(ConnectionPhase.UPSTREAM_PEER);
        } else if (decision != null) {
            connect(decision.peer());
        } else {
            fail(ProxyError.of(ErrorKind.NO_PEER, "no plugin of tcp listener " + session.listener()
                    + " chose a backend in upstream_peer", null));
        }
    }

    @Override
    public void failed(ConnectionPhase phase, ProxyError error) {
        if (state != State.DONE) {
            pluginFailed(error);
        }
    }

    private void pluginFailed(ProxyError error) {
        proxy.metrics().pluginFailed(error.pluginId(), error.phase());
        fail(error);
    }

    private void connect(Peer peer) {
        state = State.CONNECTING;
        session.peer = peer;
        session.attempts++;
        long start = System.nanoTime();
        ProxyProtocol pp = listener.proxyProtocol();
        ByteBuf preface = null;
        if (pp != ProxyProtocol.NONE) {
            // The backend reads it first, in one segment, ahead of its TLS if it speaks TLS.
            preface = client.alloc().ioBuffer(pp.maxLength());
            pp.writeHeader(preface, session.clientAddress(), session.localAddress());
        }
        // HeldBytes on the backend's side too: it keeps what a TLS handshake decoded early, and
        // keeps a failure before the relay away from the pipeline's tail (the connect reports it).
        connecting = connector.connect(peer, ch -> ch.pipeline().addLast(new HeldBytes()), preface);
        connecting.addListener(f -> connected(peer, start, f));
    }

    private void connected(Peer peer, long start, Future<?> f) {
        connecting = null;
        if (f.isCancelled()) {
            return; // the client left: clientClosed ends the connection
        }
        if (state != State.CONNECTING) {
            if (f.isSuccess()) {
                ((Channel) f.getNow()).close(); // the client went away meanwhile
            }
            return;
        }
        if (f.isSuccess()) {
            proxy.metrics().upstream().connected(peer.address(), System.nanoTime() - start);
            proxy.metrics().tcp().connected(session.listener(), "ok");
            relay((Channel) f.getNow());
            return;
        }
        ProxyError error = UpstreamErrors.connectFailed(peer, f.cause());
        proxy.metrics().upstream().connectFailed(peer.address(), error.kind());
        proxy.metrics().tcp().connected(session.listener(), error.kind().label());
        if (error.kind().side() != ErrorKind.Side.UPSTREAM) {
            fail(error); // the proxy's own fault (a TLS file): no backend to blame, nothing to retry
            return;
        }
        String notRetryable = !client.isActive() ? "the client has gone"
                : session.attempts >= ProxyPlugin.MAX_ATTEMPTS ? ProxyPlugin.MAX_ATTEMPTS + " attempts made" : null;
        UpstreamFailure failure = new UpstreamFailure(peer, error, session.attempts, notRetryable);
        ConnectionPhases.Asked asked = phases.failToConnect(failure);
        if (asked.thrown() != null) {
            pluginFailed(asked.thrown());
        } else if (asked.retry() && failure.retryable()) {
            proxy.metrics().upstream().retried(peer.address());
            state = State.CHOOSING;
            phases.run(ConnectionPhase.UPSTREAM_PEER);
        } else {
            fail(error);
        }
    }

    private void relay(Channel upstream) {
        state = State.RELAYING;
        session.relayed = true;
        Tunnel.open(client, List.of(), held, upstream, upstream.pipeline().get(HeldBytes.class), "tcp",
                listener.settings().idleTimeout(), proxy.metrics().tunnels(), (fromClient, toClient, why) -> {
                    session.fromClient = fromClient;
                    session.toClient = toClient;
                    session.endReason = proxy.cutting() ? "shutdown" : why;
                    finish();
                });
    }

    /** The client's channel closed before the tunnel took it over. */
    private void clientClosed() {
        if (state == State.RELAYING || state == State.DONE) {
            return; // the tunnel tells, or it is over
        }
        if (connecting != null) {
            connecting.cancel(false); // closes the backend connection, wherever its connect or handshake is
        }
        if (proxy.cutting()) {
            session.endReason = "shutdown";
            finish();
        } else {
            fail(ProxyError.of(ErrorKind.CLIENT_ABORT, "the client closed its connection before it was relayed", null));
        }
    }

    private void fail(ProxyError error) {
        session.error = error;
        proxy.errors().report(error, session);
        finish();
    }

    private void finish() {
        if (state == State.DONE) {
            return;
        }
        state = State.DONE;
        if (client.isOpen()) {
            client.close();
        }
        session.endNanos = System.nanoTime();
        if (phases != null) {
            phases.abandon();
            phases.logging(proxy.errors());
        }
        proxy.accessLog().record(session);
        proxy.metrics().tcp().ended(session.listener(), session.outcome());
        chain.release();
    }
}
