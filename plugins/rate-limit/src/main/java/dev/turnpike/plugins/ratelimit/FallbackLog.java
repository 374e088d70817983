package dev.turnpike.plugins.ratelimit;

/**
 * The WARN line for decisions made without Redis: at most one a second per limiter (a
 * {@link LogBudget}), saying why and how many such decisions the lines left out, so an outage
 * under load writes a line a second, not one per request. Lock-free; any thread.
 */
final class FallbackLog {

    private final RejectionLog.Sink sink;
    private final LogBudget budget;
    private final String prefix;
    private final String decision;

    FallbackLog(RejectionLog.Sink sink, Clock clock, String limiter, RedisSettings s) {
        this.sink = sink;
        this.budget = new LogBudget(clock, 1);
        this.prefix = "rate limit " + limiter + ": Redis at " + s.uriForLog + " ";
        this.decision = s.onError == RedisSettings.OnError.ALLOW
                ? "allowing requests without the shared limit (on_error: allow)"
                : "answering 503 (on_error: deny)";
    }

    void decidedWithout(RedisMetrics.Reason reason, String detail) {
        long left = budget.take();
        if (left < 0) {
            return;
        }
        String why = switch (reason) {
            case TIMEOUT -> "did not answer within the timeout";
            case DISCONNECTED -> "is not connected";
            case ERROR -> "failed";
        };
        sink.warn(prefix + why + (detail != null ? " (" + detail + ")" : "") + "; " + decision
                + (left > 0 ? "; " + left + " more such decision(s) since the last line" : "")
                + " (logged at most once a second)");
    }
}
