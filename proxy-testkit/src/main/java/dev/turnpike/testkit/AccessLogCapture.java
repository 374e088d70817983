package dev.turnpike.testkit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

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

    private static final String LOGGER = "turnpike.access";

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            lines.add(event.getFormattedMessage());
        }
    };

    /**
     * Starts capturing.
     *
     * @throws IllegalStateException when the logging backend is not logback (the runtime's)
     */
    public AccessLogCapture() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            throw new IllegalStateException("the access log can be captured only with logback as the SLF4J backend, found "
                    + LoggerFactory.getILoggerFactory().getClass().getName());
        }
        appender.setContext(context);
        appender.setName("testkit-access-capture-" + System.identityHashCode(this));
        appender.start();
        attach();
    }

    /**
     * Attaches the capture to the logger again: the runtime replaces that logger's appenders when
     * {@code access_log.file} is set, so the extension calls this after the proxy starts.
     */
    void attach() {
        Logger logger = (Logger) LoggerFactory.getLogger(LOGGER);
        if (!logger.isInfoEnabled()) {
            logger.setLevel(Level.INFO); // the lines are logged at INFO; a test configuration may have left them off
        }
        if (logger.getAppender(appender.getName()) == null) {
            logger.addAppender(appender);
        }
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
        ((Logger) LoggerFactory.getLogger(LOGGER)).detachAppender(appender);
        appender.stop();
    }
}
