package dev.turnpike.runtime.log;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.util.FileSize;
import dev.turnpike.runtime.config.AccessLogSettings;
import org.slf4j.LoggerFactory;

/**
 * Points the {@code turnpike.access} logger at a rotating file when {@code access_log.file} is set
 * (daily and by size, gzipped, {@code max_history} days kept), behind an asynchronous appender that
 * never blocks. Without a file, the shipped logback configuration (standard output, asynchronous)
 * stays as it is. The one place that knows the logging backend is logback.
 */
public final class AccessLogOutput {

    private AccessLogOutput() {
    }

    /**
     * At exit: drains the asynchronous appenders and flushes the buffered files, so the last lines
     * are not lost (logback registers no shutdown hook of its own).
     */
    public static void flushAtExit() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext) {
            ((LoggerContext) LoggerFactory.getILoggerFactory()).stop();
        }
    }

    public static void apply(AccessLogSettings settings) {
        if (settings.file() == null || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext)) {
            return;
        }
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        String file = settings.file().toString();

        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.start();

        RollingFileAppender<ILoggingEvent> appender = new RollingFileAppender<>();
        appender.setContext(context);
        appender.setName("ACCESS_FILE");
        appender.setFile(file);
        appender.setEncoder(encoder);
        // Buffered: one write per buffer, not one per line (the appender flushes on stop).
        appender.setImmediateFlush(false);
        SizeAndTimeBasedRollingPolicy<ILoggingEvent> policy = new SizeAndTimeBasedRollingPolicy<>();
        policy.setContext(context);
        policy.setParent(appender);
        policy.setFileNamePattern(file + ".%d{yyyy-MM-dd}.%i.gz");
        policy.setMaxFileSize(new FileSize(settings.maxFileSize()));
        policy.setMaxHistory(settings.maxHistory());
        policy.start();
        appender.setRollingPolicy(policy);
        appender.start();

        AsyncAppender async = new AsyncAppender();
        async.setContext(context);
        async.setName("ACCESS_FILE_ASYNC");
        async.setQueueSize(8192);
        async.setDiscardingThreshold(0);
        async.setNeverBlock(true);
        async.addAppender(appender);
        async.start();

        Logger access = context.getLogger("turnpike.access");
        access.detachAndStopAllAppenders();
        access.setAdditive(false);
        access.addAppender(async);
    }
}
