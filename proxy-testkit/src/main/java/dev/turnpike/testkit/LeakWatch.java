package dev.turnpike.testkit;

import ch.qos.logback.classic.Level;
import java.util.List;

/**
 * Netty's leak reports while a proxy runs: a plugin that keeps a body chunk past its phase, or a
 * runtime bug, shows as an ERROR "LEAK: ..." from {@code io.netty.util.ResourceLeakDetector}. The
 * extension fails the test (or class) in whose run one came. Reports come when the leaked buffer is
 * collected, so one may surface a test later than its cause.
 */
final class LeakWatch implements AutoCloseable {

    private final LogLines reports = new LogLines("io.netty.util.ResourceLeakDetector", Level.ERROR);

    /** @throws AssertionError naming the first report when Netty reported a leak */
    void assertNone() {
        List<String> found = List.copyOf(reports.lines());
        if (!found.isEmpty()) {
            throw new AssertionError("Netty reported " + found.size() + " buffer leak(s) while the proxy ran"
                    + " (a plugin keeping a body chunk past its phase?); the first:\n" + found.get(0));
        }
    }

    @Override
    public void close() {
        reports.close();
    }
}
