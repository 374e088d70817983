package dev.turnpike.testkit.phases;

import dev.turnpike.api.ConnectionSession;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.net.IpLiteral;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One client connection of a {@code tcp} listener as the {@link dev.turnpike.api.ConnectionPlugin}
 * phases see it, set up by the test: client and local address, listener name, and how the
 * connection went (peer, relayed, error, rejection, byte counts, end), which a test of
 * {@code logging} states as the runtime would record it.
 *
 * <p>Defaults: connection {@code test-connection} on listener {@code test-listener}, from
 * {@code 192.0.2.10:40000} to {@code 127.0.0.1:9000}, nothing chosen, relayed or failed. The setters
 * return the session, to chain. Not thread-safe, as a real one is confined to its event loop.
 */
public final class FakeConnectionSession implements ConnectionSession {

    private String connectionId = "test-connection";
    private String listener = "test-listener";
    private InetSocketAddress clientAddress = address("192.0.2.10", 40000);
    private InetSocketAddress localAddress = address("127.0.0.1", 9000);
    private Peer peer;
    private FakeEventLoop executor;
    private long startNanos;
    private boolean relayed;
    private ProxyError error;
    private String rejectedBy;
    private String rejectReason;
    private String endReason;
    private int upstreamAttempts;
    private long bytesFromClient;
    private long bytesToClient;
    private long endNanos;

    /** A connection from {@code clientIp} (an IP literal), port 40000. */
    public static FakeConnectionSession from(String clientIp) {
        return new FakeConnectionSession().client(clientIp, 40000);
    }

    public FakeConnectionSession client(String ip, int port) {
        this.clientAddress = address(ip, port);
        return this;
    }

    public FakeConnectionSession clientAddress(InetSocketAddress address) {
        this.clientAddress = address;
        return this;
    }

    public FakeConnectionSession localAddress(InetSocketAddress address) {
        this.localAddress = address;
        return this;
    }

    public FakeConnectionSession connectionId(String id) {
        this.connectionId = id;
        return this;
    }

    /** The listener's name (its {@code name:}, or its {@code listen} address). */
    public FakeConnectionSession listener(String name) {
        this.listener = name;
        return this;
    }

    public FakeConnectionSession peer(Peer peer) {
        this.peer = peer;
        return this;
    }

    public FakeConnectionSession executor(FakeEventLoop loop) {
        this.executor = loop;
        this.startNanos = loop.nanoTime();
        return this;
    }

    public FakeConnectionSession relayed(boolean relayed) {
        this.relayed = relayed;
        return this;
    }

    public FakeConnectionSession error(ProxyError error) {
        this.error = error;
        return this;
    }

    /** A plugin ({@code pluginId}) answered {@code reject(reason)}. */
    public FakeConnectionSession rejected(String pluginId, String reason) {
        this.rejectedBy = pluginId;
        this.rejectReason = reason;
        return this;
    }

    public FakeConnectionSession endReason(String reason) {
        this.endReason = reason;
        return this;
    }

    public FakeConnectionSession upstreamAttempts(int attempts) {
        this.upstreamAttempts = attempts;
        return this;
    }

    public FakeConnectionSession bytes(long fromClient, long toClient) {
        this.bytesFromClient = fromClient;
        this.bytesToClient = toClient;
        return this;
    }

    /** The connection ended at this {@link System#nanoTime()}-like time (0 until then). */
    public FakeConnectionSession endNanos(long nanos) {
        this.endNanos = nanos;
        return this;
    }

    @Override
    public String connectionId() {
        return connectionId;
    }

    @Override
    public String listener() {
        return listener;
    }

    @Override
    public InetSocketAddress clientAddress() {
        return clientAddress;
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public Peer peer() {
        return peer;
    }

    /** The loop set, or one of the session's own, made on first use on the calling thread. */
    @Override
    public FakeEventLoop executor() {
        if (executor == null) {
            executor = new FakeEventLoop();
        }
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
        return upstreamAttempts;
    }

    @Override
    public long bytesFromClient() {
        return bytesFromClient;
    }

    @Override
    public long bytesToClient() {
        return bytesToClient;
    }

    @Override
    public long endNanos() {
        return endNanos;
    }

    /** @throws IllegalArgumentException for text that is not an IP literal (a name is never looked up) */
    static InetSocketAddress address(String ip, int port) {
        InetAddress a = IpLiteral.parse(ip);
        if (a == null) {
            throw new IllegalArgumentException("not an IP literal: " + ip);
        }
        return new InetSocketAddress(a, port);
    }

    @Override
    public String toString() {
        return "connection " + connectionId + " from " + clientAddress;
    }
}
