package dev.turnpike.api;

import java.util.Objects;

/**
 * One failed attempt to get a response from a backend, as the failure hooks see it
 * ({@link ProxyPlugin#failToConnect} and {@link ProxyPlugin#errorWhileProxying}). Immutable.
 *
 * <p>{@link #retryable()} is the runtime's verdict on whether another attempt would be safe; a hook
 * that asks for a retry of a failure that is not retryable is not obeyed (the hooks still run, so a
 * balancer learns about every failure, retryable or not).
 *
 * <p>Only failures on the backend's side come here ({@link ErrorKind.Side#UPSTREAM}): a slow or
 * vanished client is never reported as a backend's failure.
 */
public final class UpstreamFailure {

    private final Peer peer;
    private final ProxyError error;
    private final int attempt;
    private final String notRetryableBecause;

    /**
     * @param peer                 the backend of the failed attempt
     * @param error                what went wrong
     * @param attempt              which attempt failed, from 1
     * @param notRetryableBecause  why another attempt would not be safe, or {@code null} when it would
     */
    public UpstreamFailure(Peer peer, ProxyError error, int attempt, String notRetryableBecause) {
        this.peer = Objects.requireNonNull(peer, "peer");
        this.error = Objects.requireNonNull(error, "error");
        this.attempt = attempt;
        this.notRetryableBecause = notRetryableBecause;
    }

    /** The backend this attempt went to. */
    public Peer peer() {
        return peer;
    }

    /**
     * What went wrong: {@link ErrorKind#CONNECT_REFUSED}, {@link ErrorKind#CONNECT_TIMEOUT},
     * {@link ErrorKind#UNRESOLVABLE} or {@link ErrorKind#TLS} while connecting (then
     * {@link ErrorKind#beforeSending()} is true), {@link ErrorKind#UPSTREAM_RESET},
     * {@link ErrorKind#UPSTREAM_TIMEOUT} or {@link ErrorKind#INVALID_RESPONSE} after.
     */
    public ErrorKind kind() {
        return error.kind();
    }

    /** The failure as the request records it. */
    public ProxyError error() {
        return error;
    }

    /** The underlying exception (for logs); may be {@code null}. */
    public Throwable cause() {
        return error.cause();
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
        return notRetryableBecause == null;
    }

    /** Why {@link #retryable()} is false ("POST is not idempotent", ...), or {@code null}. */
    public String notRetryableBecause() {
        return notRetryableBecause;
    }

    @Override
    public String toString() {
        return error.kind().label() + " " + peer + " (attempt " + attempt + ": " + error.message() + ")";
    }
}
