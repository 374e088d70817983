package dev.turnpike.testkit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/**
 * The formatted messages one logback logger logs at {@code level} or above, kept as strings only (a
 * kept logging event would hold its arguments, and through them, plugins' class loaders). Lines are
 * added on the logging thread; reading is thread-safe.
 */
final class LogLines implements AutoCloseable {

    private final String loggerName;
    private final Level level;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            if (event.getLevel().isGreaterOrEqual(level)) {
                lines.add(event.getFormattedMessage());
            }
        }
    };

    /** @throws IllegalStateException when the SLF4J backend is not logback (the runtime's) */
    LogLines(String loggerName, Level level) {
        this.loggerName = loggerName;
        this.level = level;
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            throw new IllegalStateException("logs can be captured only with logback as the SLF4J backend, found "
                    + LoggerFactory.getILoggerFactory().getClass().getName());
        }
        appender.setContext(context);
        appender.setName("testkit-capture-" + System.identityHashCode(this));
        appender.start();
        attach();
    }

    /**
     * Attaches to the logger (again: the runtime replaces the access logger's appenders when
     * {@code access_log.file} is set), raising it to {@code level} if it is set above.
     */
    void attach() {
        Logger logger = (Logger) LoggerFactory.getLogger(loggerName);
        if (!logger.isEnabledFor(level)) {
            logger.setLevel(level);
        }
        if (logger.getAppender(appender.getName()) == null) {
            logger.addAppender(appender);
        }
    }

    /** The live list (thread-safe; iterate it, do not hand it out). */
    List<String> lines() {
        return lines;
    }

    @Override
    public void close() {
        ((Logger) LoggerFactory.getLogger(loggerName)).detachAppender(appender);
        appender.stop();
    }
}
