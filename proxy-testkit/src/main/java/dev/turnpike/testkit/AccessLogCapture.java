package dev.turnpike.testkit;

import ch.qos.logback.classic.Level;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The proxy's access-log lines, captured in memory from the {@code turnpike.access} logger as they
 * are logged (only the formatted text is kept, never the logging event, which would hold its
 * arguments). The proxy keeps writing where its configuration says; this is a copy.
 *
 * <p>The lines are logged at INFO: a logging configuration that has {@code turnpike.access} above
 * that (a test configuration with the root at WARN) gets the logger set to INFO, for the JVM's life.
 *
 * <p>The logger is JVM-wide: with several proxies running at once in one JVM, each capture sees the
 * lines of all of them. Lines are added on the logging thread; reading is thread-safe.
 */
public final class AccessLogCapture implements AutoCloseable {

    private final LogLines captured = new LogLines("turnpike.access", Level.INFO);
    private final List<String> lines = captured.lines();

    /**
     * Starts capturing.
     *
     * @throws IllegalStateException when the logging backend is not logback (the runtime's)
     */
    public AccessLogCapture() {
    }

    /** Attaches again after the proxy started: {@code access_log.file} replaces the logger's appenders. */
    void attach() {
        captured.attach();
    }

    /** Every line captured so far, oldest first (a snapshot). */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** Forgets the lines captured so far. */
    public void clear() {
        lines.clear();
    }

    /** Waits (up to {@link Await#DEFAULT}) for a line that {@code regex} finds a match in; returns it. */
    public String awaitLine(String regex) {
        return awaitLine(regex, Await.DEFAULT);
    }

    /** As {@link #awaitLine(String)}, with a deadline of its own. */
    public String awaitLine(String regex, Duration deadline) {
        Pattern p = Pattern.compile(regex);
        return awaitLine("an access-log line matching /" + regex + "/", deadline, l -> p.matcher(l).find());
    }

    /** Waits for a line {@code test} accepts; returns it. {@code what} names it in the failure. */
    public String awaitLine(String what, Duration deadline, Predicate<String> test) {
        String[] found = new String[1];
        Await.until(what, deadline, () -> {
            for (String l : lines) {
                if (test.test(l)) {
                    found[0] = l;
                    return true;
                }
            }
            return false;
        }, () -> lines.size() + " line(s): " + lines);
        return found[0];
    }

    /** Stops capturing. */
    @Override
    public void close() {
        captured.close();
    }
}
