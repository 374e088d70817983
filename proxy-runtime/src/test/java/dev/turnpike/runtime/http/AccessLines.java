package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/** The {@code turnpike.access} logger's lines, captured from the real logger while open. */
final class AccessLines implements AutoCloseable {

    /** One line and the level of the event that carried it (events batch lines). */
    record Line(Level level, String text) {
    }

    private final Logger logger = (Logger) LoggerFactory.getLogger("turnpike.access");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    AccessLines() {
        logger.setLevel(Level.INFO);
        appender.start();
        logger.addAppender(appender);
    }

    List<Line> lines() {
        List<Line> out = new ArrayList<>();
        for (ILoggingEvent e : List.copyOf(appender.list)) {
            for (String l : e.getFormattedMessage().split("\n")) {
                out.add(new Line(e.getLevel(), l));
            }
        }
        return out;
    }

    /** Waits for exactly {@code n} lines: they reach the logger from the log's writer thread, a little later. */
    List<Line> await(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lines().size() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        List<Line> lines = lines();
        assertEquals(n, lines.size(), () -> "access lines: " + lines);
        return lines;
    }

    /** The texts of {@link #await}'s lines. */
    List<String> awaitTexts(int n, Duration timeout) throws InterruptedException {
        return await(n, timeout).stream().map(Line::text).toList();
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
    }
}
