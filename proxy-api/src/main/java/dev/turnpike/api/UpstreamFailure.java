package dev.turnpike.api;

import java.util.Objects;

/**
 * One failed attempt to get a response from a backend, as the failure hooks see it
 * ({@link ProxyPlugin#failToConnect} and {@link ProxyPlugin#errorWhileProxying}). Immutable.
 *
 * <p>{@link #retryable()} is the runtime's verdict on whether another attempt would be safe; a hook
 * that asks for a retry of a failure that is not retryable is not obeyed (the hooks still run, so a
 * balancer learns about every failure, retryable or not).
 */
public final class UpstreamFailure {

    /** What went wrong. */
    public enum Kind {
        /** The connection could not be opened (refused, unreachable, connect timeout, name not resolved). */
        CONNECT,
        /** The connection closed or was reset before the response head arrived. */
        RESET,
        /** The backend stayed silent for its read timeout before the response head arrived. */
        TIMEOUT,
        /** The backend sent something that is not an HTTP response head. */
        INVALID_RESPONSE
    }

    private final Peer peer;
    private final Kind kind;
    private final Throwable cause;
    private final int attempt;
    private final boolean retryable;
    private final String notRetryableBecause;

    /**
     * @param peer                 the backend of the failed attempt
     * @param kind                 what went wrong
     * @param cause                the underlying error
     * @param attempt              which attempt failed, from 1
     * @param notRetryableBecause  why another attempt would not be safe, or {@code null} when it would
     */
    public UpstreamFailure(Peer peer, Kind kind, Throwable cause, int attempt, String notRetryableBecause) {
        this.peer = Objects.requireNonNull(peer, "peer");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.cause = cause;
        this.attempt = attempt;
        this.retryable = notRetryableBecause == null;
        this.notRetryableBecause = notRetryableBecause;
    }

    /** The backend this attempt went to. */
    public Peer peer() {
        return peer;
    }

    public Kind kind() {
        return kind;
    }

    /** The underlying error (for logs); may be {@code null}. */
    public Throwable cause() {
        return cause;
    }

    /** Which attempt of this request failed: 1 for the first, 2 for the first retry... */
    public int attempt() {
        return attempt;
    }

    /**
     * Whether the runtime would honour a retry: nothing has reached the client, the request can be
     * sent again whole (what went out of its body was kept, which it is up to
     * {@code upstream.retry_body_limit}; what has not arrived yet follows), and, for failures after
     * the request went out, the method is idempotent (RFC 9110 §9.2.2). A failure to connect sent
     * nothing, so it is retryable whatever the method.
     */
    public boolean retryable() {
        return retryable;
    }

    /** Why {@link #retryable()} is false ("POST is not idempotent", ...), or {@code null}. */
    public String notRetryableBecause() {
        return notRetryableBecause;
    }

    @Override
    public String toString() {
        return kind + " " + peer + " (attempt " + attempt + (cause != null ? ": " + cause : "") + ")";
    }
}
