package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.runtime.wire.RequestFraming;

/**
 * Whether a failed attempt may be tried again: a pure function of what happened, so the rules can
 * be read (and tested) as a table rather than traced through the engine. The failure hooks decide
 * whether to try again; this decides whether it would be safe.
 */
final class RetryRules {

    /**
     * What the decision depends on.
     *
     * @param kind            what went wrong with the attempt
     * @param responseStarted whether the backend's response head had arrived (then the client is
     *                        being answered, and nothing can be taken back)
     * @param method          the method that went upstream
     * @param hasBody         whether the request has a body (framed: Content-Length, even 0, or chunked)
     * @param bodyKept        whether every byte of the body that went out is kept for a resend (none
     *                        went out counts as kept)
     * @param bodyLimit       {@code upstream.retry_body_limit}, for the reason
     * @param attempts        the attempts made so far, the failed one included
     */
    record Facts(ErrorKind kind, boolean responseStarted, String method, boolean hasBody, boolean bodyKept,
                 int bodyLimit, int attempts) {
    }

    private RetryRules() {
    }

    /** Why another attempt would not be safe, or {@code null} when it would be. */
    static String notRetryableBecause(Facts f) {
        if (f.responseStarted()) {
            return "the backend's response had started";
        }
        String why = null;
        if (!f.kind().beforeSending() && !RequestFraming.idempotent(f.method())) {
            // The request (some of it) reached a backend that may have acted on it.
            why = f.method() + " is not idempotent";
        } else if (f.hasBody() && !f.bodyKept()) {
            // Also for a connect-time kind: a TLS 1.3 backend refuses our certificate only after
            // the request began to go out, and what went out and was not kept cannot be sent again.
            why = "the request body is larger than upstream.retry_body_limit (" + f.bodyLimit()
                    + " bytes) and was not kept";
        }
        if (why == null && f.attempts() >= ProxyPlugin.MAX_ATTEMPTS) {
            why = "the runtime's attempt limit is reached";
        }
        return why;
    }

    /**
     * Whether a reused pooled connection that the backend closed before answering is simply tried
     * again on a fresh connection to the same backend, without asking any plugin: the usual race
     * with the backend's keep-alive timeout, not the backend's failure.
     */
    static boolean pooledRace(boolean reused, Facts f) {
        return reused && f.kind() == ErrorKind.UPSTREAM_RESET && notRetryableBecause(f) == null;
    }
}
