package dev.turnpike.api;

import java.net.InetSocketAddress;

/**
 * One client connection of a {@code tcp} listener as the {@link ConnectionPlugin connection phases}
 * see it. A view over the runtime's own state: valid from {@code newConnectionContext} to the end of
 * {@code logging}, on the connection's event loop only; do not keep it.
 */
public interface ConnectionSession {

    /** This connection's id: unique per process, for logs. */
    String connectionId();

    /** The listener's name: its {@code name:} in the configuration, or its {@code listen} address. */
    String listener();

    /** The address of the client's end of the connection. */
    InetSocketAddress clientAddress();

    /** The proxy's own address the client connected to. */
    InetSocketAddress localAddress();

    /**
     * The peer chosen in {@code upstream_peer}, or {@code null} before that (or when none was). After
     * a failed connect it stays the failed peer until {@code upstream_peer} chooses again.
     */
    Peer peer();

    /** The event loop this connection runs on, for timers and hand-backs. */
    EventLoopExecutor executor();

    /** {@link System#nanoTime()} when the connection was accepted. */
    long startNanos();

    // ---- How it ended: final in logging, partial before. ----

    /** Whether a connection to the backend was opened and bytes relayed (or could have been) both ways. */
    boolean relayed();

    /**
     * What failed the connection, or {@code null} when nothing did (it was relayed and closed, or
     * rejected): its {@link ErrorKind} says whose fault it was. {@link ErrorKind#NO_PEER} when no
     * plugin chose a backend, a connect kind when the last attempt failed, {@link ErrorKind#PLUGIN}
     * when a plugin failed.
     */
    ProxyError error();

    /** The id of the plugin that answered {@link Outcome#reject}, or {@code null}. */
    String rejectedBy();

    /** The reason given with {@link Outcome#reject}, or {@code null}. */
    String rejectReason();

    /**
     * How the connection ended: {@code closed} (by its peers), {@code idle} (the idle timeout),
     * {@code shutdown} (the proxy's grace period ended, relaying or not), or the relay's error;
     * {@code null} when it ended otherwise before a relay (rejected, failed: see {@link #error()}).
     */
    String endReason();

    /** How many backend connects this connection tried: 0 when none, more than 1 after retries. */
    int upstreamAttempts();

    /** Bytes relayed from the client to the backend. */
    long bytesFromClient();

    /** Bytes relayed from the backend to the client. */
    long bytesToClient();

    /** {@link System#nanoTime()} when the connection ended; 0 before {@code logging}. */
    long endNanos();
}
