package dev.turnpike.runtime.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.runtime.exchange.RetryRules.Facts;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pins down {@link RetryRules} as the table it claims to be: which failed attempts may be tried
 * again (connect failures whatever the method, unless body bytes went out unkept; failures after sending only for an idempotent method whose body
 * was kept, never once the response started, never past {@link ProxyPlugin#MAX_ATTEMPTS}), the
 * reason given when not, and when a reused pooled connection's reset is silently retried.
 */
class RetryRulesTest {

    private static final int LIMIT = 65536;
    private static final List<ErrorKind> CONNECT_KINDS =
            List.of(ErrorKind.CONNECT_REFUSED, ErrorKind.CONNECT_TIMEOUT, ErrorKind.UNRESOLVABLE, ErrorKind.TLS);
    private static final List<ErrorKind> AFTER_SENDING =
            List.of(ErrorKind.UPSTREAM_RESET, ErrorKind.UPSTREAM_TIMEOUT, ErrorKind.INVALID_RESPONSE);
    private static final List<String> IDEMPOTENT = List.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE");

    private static final String STARTED = "the backend's response had started";
    private static final String CAP = "the runtime's attempt limit is reached";
    private static final String NOT_KEPT =
            "the request body is larger than upstream.retry_body_limit (" + LIMIT + " bytes) and was not kept";

    /** What the body looked like when the attempt failed. */
    enum Body {
        NONE(false, false), KEPT(true, true), NOT_KEPT(true, false);

        final boolean has;
        final boolean kept;

        Body(boolean has, boolean kept) {
            this.has = has;
            this.kept = kept;
        }
    }

    private static Facts facts(ErrorKind kind, boolean started, String method, Body body, int attempts) {
        return new Facts(kind, started, method, body.has, body.kept, LIMIT, attempts);
    }

    /**
     * One row: the facts, the expected reason (null: retryable), and whether a reused pooled
     * connection failing so is the keep-alive race.
     */
    private static Arguments row(ErrorKind kind, boolean started, String method, Body body, int attempts,
                                 String reason, boolean pooledRace) {
        return Arguments.of(kind + " " + method + " body=" + body + " started=" + started + " attempts=" + attempts,
                facts(kind, started, method, body, attempts), reason, pooledRace);
    }

    static Stream<Arguments> table() {
        List<Arguments> rows = new ArrayList<>();
        // Nothing was processed: safe whatever the method. Body bytes that went out and were not
        // kept (a TLS 1.3 backend refuses our certificate after the upload began) cannot be resent.
        for (ErrorKind k : CONNECT_KINDS) {
            rows.add(row(k, false, "POST", Body.NOT_KEPT, 1, NOT_KEPT, false));
            rows.add(row(k, false, "POST", Body.NONE, 1, null, false));
            rows.add(row(k, false, "PATCH", Body.KEPT, 1, null, false));
            rows.add(row(k, false, "GET", Body.NONE, 1, null, false));
        }
        for (ErrorKind k : AFTER_SENDING) {
            boolean reset = k == ErrorKind.UPSTREAM_RESET;
            // The backend may have acted on a non-idempotent request.
            rows.add(row(k, false, "POST", Body.NONE, 1, "POST is not idempotent", false));
            rows.add(row(k, false, "POST", Body.KEPT, 1, "POST is not idempotent", false));
            rows.add(row(k, false, "POST", Body.NOT_KEPT, 1, "POST is not idempotent", false));
            rows.add(row(k, false, "PATCH", Body.NONE, 1, "PATCH is not idempotent", false));
            for (String m : IDEMPOTENT) {
                rows.add(row(k, false, m, Body.NONE, 1, null, reset));
                rows.add(row(k, false, m, Body.KEPT, 1, null, reset));
                rows.add(row(k, false, m, Body.NOT_KEPT, 1, NOT_KEPT, false));
            }
        }
        // Once the response started nothing can be taken back: this reason wins over every other.
        for (ErrorKind k : List.of(ErrorKind.CONNECT_REFUSED, ErrorKind.UPSTREAM_RESET, ErrorKind.UPSTREAM_TIMEOUT)) {
            rows.add(row(k, true, "GET", Body.NONE, 1, STARTED, false));
            rows.add(row(k, true, "POST", Body.NOT_KEPT, 1, STARTED, false));
            rows.add(row(k, true, "GET", Body.NONE, ProxyPlugin.MAX_ATTEMPTS, STARTED, false));
        }
        // The attempt cap: the reason only when the attempt would otherwise be retryable.
        int max = ProxyPlugin.MAX_ATTEMPTS;
        rows.add(row(ErrorKind.UPSTREAM_RESET, false, "GET", Body.NONE, max - 1, null, true));
        rows.add(row(ErrorKind.UPSTREAM_RESET, false, "GET", Body.NONE, max, CAP, false));
        rows.add(row(ErrorKind.UPSTREAM_RESET, false, "GET", Body.KEPT, max + 1, CAP, false));
        rows.add(row(ErrorKind.CONNECT_REFUSED, false, "POST", Body.KEPT, max, CAP, false));
        rows.add(row(ErrorKind.CONNECT_TIMEOUT, false, "GET", Body.NONE, max - 1, null, false));
        rows.add(row(ErrorKind.UPSTREAM_TIMEOUT, false, "GET", Body.NONE, max, CAP, false));
        rows.add(row(ErrorKind.UPSTREAM_RESET, false, "POST", Body.NONE, max, "POST is not idempotent", false));
        rows.add(row(ErrorKind.UPSTREAM_RESET, false, "PUT", Body.NOT_KEPT, max, NOT_KEPT, false));
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void whetherAnotherAttemptIsSafe(String label, Facts facts, String reason, boolean pooledRace) {
        assertEquals(reason, RetryRules.notRetryableBecause(facts));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void whetherAReusedConnectionsFailureIsTheKeepAliveRace(String label, Facts facts, String reason, boolean pooledRace) {
        assertEquals(pooledRace, RetryRules.pooledRace(true, facts));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void aFreshConnectionsFailureIsNeverTheRace(String label, Facts facts, String reason, boolean pooledRace) {
        assertFalse(RetryRules.pooledRace(false, facts));
    }

    @ParameterizedTest(name = "limit {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 1024, 1048576})
    void theReasonNamesTheConfiguredBodyLimit(int limit) {
        Facts f = new Facts(ErrorKind.UPSTREAM_TIMEOUT, false, "PUT", true, false, limit, 1);
        assertEquals("the request body is larger than upstream.retry_body_limit (" + limit + " bytes) and was not kept",
                RetryRules.notRetryableBecause(f));
    }
}
