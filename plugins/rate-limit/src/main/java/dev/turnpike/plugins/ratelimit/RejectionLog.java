package dev.turnpike.plugins.ratelimit;

/**
 * The WARN line for a rejected key, kept from flooding the log under attack by two limits:
 * <ul>
 *   <li>per key, at most one line a second: decided in the {@link KeyTable}, inside the key's lock,
 *       from a time kept in the key's own state (so its memory is bounded by {@code max_keys} and
 *       goes when the key goes);</li>
 *   <li>overall, at most {@value #MAX_LINES_PER_SECOND} lines a second whatever the number of
 *       keys: the lines beyond are counted and the next line that is written says how many were
 *       left out.</li>
 * </ul>
 * Lock-free ({@link LogBudget}); called outside the table's locks, on the event loop.
 */
final class RejectionLog {

    /** Where the lines go: SLF4J's WARN in the proxy, a list in tests. */
    @FunctionalInterface
    interface Sink {
        void warn(String line);
    }

    static final int MAX_LINES_PER_SECOND = 20;
    private static final int MAX_KEY_CHARS = 200;

    private final Sink sink;
    private final String prefix;
    private final String cadence;
    private final LogBudget budget;

    /**
     * @param perKey whether the table marks at most one rejection a second per key (local state);
     *               store: redis keeps no key here, so only the overall budget applies
     */
    RejectionLog(Sink sink, Clock clock, String limiterName, String policy, boolean perKey) {
        this.sink = sink;
        this.prefix = "rate limit " + limiterName + " (" + policy + "): rejecting requests of ";
        this.cadence = perKey ? "s (logged at most once a second per key)"
                : "s (logged at most " + MAX_LINES_PER_SECOND + " lines a second)";
        this.budget = new LogBudget(clock, MAX_LINES_PER_SECOND);
    }

    /** A rejection the table marked {@link Decision#warn}: logged unless over the overall budget. */
    void rejected(Decision d) {
        long left = budget.take();
        if (left < 0) {
            return;
        }
        sink.warn(prefix + printable(d.key) + " with 429, retry after " + d.retryAfterSeconds() + cadence
                + (left > 0 ? "; " + left + " rejected key(s) not logged for want of log budget" : ""));
    }

    /** A key for the log: a header value may hold anything a client wrote. */
    static String printable(String key) {
        StringBuilder b = new StringBuilder(Math.min(key.length(), MAX_KEY_CHARS) + 2);
        for (int i = 0; i < key.length() && i < MAX_KEY_CHARS; i++) {
            char ch = key.charAt(i);
            b.append(ch >= ' ' && ch < 0x7f ? ch : '?');
        }
        if (key.length() > MAX_KEY_CHARS) {
            b.append("...");
        }
        return b.toString();
    }
}
