package dev.turnpike.runtime.l4;

import dev.turnpike.api.ConnectionSession;
import dev.turnpike.api.EventLoopExecutor;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import java.net.InetSocketAddress;

/**
 * What the connection phases see of one tcp connection, and what its {@link TcpConnection} records
 * as it goes: the state lives here, the decisions there. Confined to the connection's event loop.
 */
final class TcpSession implements ConnectionSession {

    private final String id;
    private final String listener;
    private final InetSocketAddress client;
    private final InetSocketAddress local;
    private final EventLoopExecutor executor;
    private final long startNanos;

    Peer peer;
    int attempts;
    ProxyError error;
    String rejectedBy;
    String rejectReason;
    String endReason;
    boolean relayed;
    long fromClient;
    long toClient;
    long endNanos;

    TcpSession(String id, String listener, InetSocketAddress client, InetSocketAddress local, EventLoopExecutor executor,
               long startNanos) {
        this.id = id;
        this.listener = listener;
        this.client = client;
        this.local = local;
        this.executor = executor;
        this.startNanos = startNanos;
    }

    @Override
    public String connectionId() {
        return id;
    }

    @Override
    public String listener() {
        return listener;
    }

    @Override
    public InetSocketAddress clientAddress() {
        return client;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public Peer peer() {
        return peer;
    }

    @Override
    public EventLoopExecutor executor() {
        return executor;
    }

    @Override
    public long startNanos() {
        return startNanos;
    }

    @Override
    public boolean relayed() {
        return relayed;
    }

    @Override
    public ProxyError error() {
        return error;
    }

    @Override
    public String rejectedBy() {
        return rejectedBy;
    }

    @Override
    public String rejectReason() {
        return rejectReason;
    }

    @Override
    public String endReason() {
        return endReason;
    }

    @Override
    public int upstreamAttempts() {
        return attempts;
    }

    @Override
    public long bytesFromClient() {
        return fromClient;
    }

    @Override
    public long bytesToClient() {
        return toClient;
    }

    @Override
    public long endNanos() {
        return endNanos;
    }

    /** How the connection ended, for the metrics: relayed, rejected, or the error's kind. */
    String outcome() {
        if (error != null) {
            return error.kind().label();
        }
        return rejectedBy != null ? "rejected" : relayed ? "relayed" : "closed";
    }

    @Override
    public String toString() {
        return "tcp connection " + id + " on " + listener + " from " + client;
    }
}
