package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ProxyError;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.runtime.chain.Chain.Phase;

/**
 * What becomes of an attempt the backend failed, decided as a value the request then acts on. A
 * reused connection that lost the keep-alive race goes to the same backend again on a fresh one,
 * with no plugin asked. Otherwise the failure hooks are told (fail_to_connect or
 * error_while_proxying, by the error's kind) and asked whether to retry, which happens only when
 * {@link RetryRules} say it is safe. Runs on the request's event loop.
 */
final class FailedAttempt {

    /** What the request does next. */
    enum Next {
        /** The same backend again, on a fresh connection. */
        SAME_BACKEND,
        /** upstream_peer is asked again (it sees the failed backend in the session). */
        ASK_UPSTREAM_PEER,
        /** The request fails with {@link Verdict#error}. */
        FAIL
    }

    /** The decision; {@code error} is what the request fails with when {@code next} is FAIL. */
    record Verdict(Next next, ProxyError error) {
    }

    private FailedAttempt() {
    }

    /**
     * @param responseStarted whether the client's response has begun (nothing can be taken back)
     * @param hooks           the failure hooks to ask, or null when no plugin has one
     */
    static Verdict decide(Attempt a, ProxyError failure, boolean responseStarted, boolean bodyKept, int bodyLimit,
                          int attempts, Hooks hooks) {
        boolean answered = a.answered() || responseStarted;
        RetryRules.Facts facts = new RetryRules.Facts(failure.kind(), answered, a.head().method(), a.head().hasBody(), bodyKept,
                bodyLimit, attempts);
        if (!answered && RetryRules.pooledRace(a.reused(), facts)) {
            return new Verdict(Next.SAME_BACKEND, null);
        }
        if (hooks == null) {
            return new Verdict(Next.FAIL, failure);
        }
        UpstreamFailure f = new UpstreamFailure(a.peer(), failure, a.number(), RetryRules.notRetryableBecause(facts));
        Hooks.Asked asked = hooks.failure(failure.kind().beforeSending() ? Phase.FAIL_TO_CONNECT : Phase.ERROR_WHILE_PROXYING, f);
        if (asked.thrown() != null) {
            return new Verdict(Next.FAIL, asked.thrown());
        }
        return asked.retry() && f.retryable() ? new Verdict(Next.ASK_UPSTREAM_PEER, null) : new Verdict(Next.FAIL, failure);
    }
}
