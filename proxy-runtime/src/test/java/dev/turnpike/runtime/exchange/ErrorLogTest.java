package dev.turnpike.runtime.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyError;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/**
 * Pins down {@link ErrorLog}'s throttle and levels, on a fake clock: one line per second for each
 * kind and plugin, the next line counting what was left out; separate keys get separate lines;
 * plugin and internal faults at ERROR with their stack trace, backend failures at WARN, the
 * client's own doings at DEBUG only.
 */
class ErrorLogTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long MS = 1_000_000L;

    private final AtomicLong now = new AtomicLong(5 * SECOND);
    private final ErrorLog errors = new ErrorLog(now::get);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private Logger logger;
    private Level configured;
    private boolean additive;

    @BeforeEach
    void capture() {
        logger = (Logger) LoggerFactory.getLogger("dev.turnpike.runtime.errors");
        configured = logger.getLevel();
        additive = logger.isAdditive();
        logger.setAdditive(false); // keep the expected stack traces off the console
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void release() {
        logger.detachAppender(appender);
        appender.stop();
        logger.setLevel(configured);
        logger.setAdditive(additive);
    }

    private static ProxyError pluginError(String plugin) {
        return ProxyError.plugin(plugin, "request_filter", "plugin " + plugin + " failed in request_filter",
                new IllegalStateException("boom"));
    }

    private List<String> messages() {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
    }

    @Test
    void aHundredFailuresOfOnePluginWithinASecondMakeOneLine() {
        for (int i = 0; i < 100; i++) {
            now.set(5 * SECOND + i * 9 * MS); // 0 .. 891 ms after the first
            errors.report(pluginError("waf"), "GET /" + i);
        }

        assertEquals(List.of("GET /0: plugin: plugin waf failed in request_filter"), messages());
    }

    @Test
    void theNextLineAfterTheWindowSaysHowManyWereLeftOut() {
        for (int i = 0; i < 100; i++) {
            now.set(5 * SECOND + i * 9 * MS);
            errors.report(pluginError("waf"), "GET /" + i);
        }
        now.set(6 * SECOND); // one second after the line that opened the window
        errors.report(pluginError("waf"), "GET /late");
        now.set(6 * SECOND + 10 * MS);
        errors.report(pluginError("waf"), "GET /later");
        now.set(7 * SECOND);
        errors.report(pluginError("waf"), "GET /last");

        assertEquals(List.of(
                "GET /0: plugin: plugin waf failed in request_filter",
                "GET /late: plugin: plugin waf failed in request_filter (99 more like it in the last second not logged)",
                "GET /last: plugin: plugin waf failed in request_filter (1 more like it in the last second not logged)"),
                messages());
    }

    @Test
    void aQuietKeyLogsAgainWithoutACount() {
        errors.report(pluginError("waf"), "GET /a");
        now.addAndGet(3 * SECOND);
        errors.report(pluginError("waf"), "GET /b");

        assertEquals(List.of(
                "GET /a: plugin: plugin waf failed in request_filter",
                "GET /b: plugin: plugin waf failed in request_filter"), messages());
    }

    @Test
    void eachPluginAndEachKindHasItsOwnLine() {
        for (int i = 0; i < 3; i++) {
            errors.report(pluginError("waf"), "r" + i);
            errors.report(pluginError("auth"), "r" + i);
            errors.report(ProxyError.of(ErrorKind.UPSTREAM_RESET, "backend b:1 reset", null), "r" + i);
            errors.report(ProxyError.of(ErrorKind.UPSTREAM_TIMEOUT, "backend b:1 was silent", null), "r" + i);
            now.addAndGet(10 * MS);
        }

        assertEquals(List.of(
                "r0: plugin: plugin waf failed in request_filter",
                "r0: plugin: plugin auth failed in request_filter",
                "r0: upstream_reset: backend b:1 reset",
                "r0: upstream_timeout: backend b:1 was silent"), messages());
    }

    @Test
    void pluginFaultsLogAtErrorWithTheirStackTrace() {
        errors.report(pluginError("waf"), "GET /");
        errors.report(ProxyError.of(ErrorKind.INTERNAL, "the proxy tripped", new NullPointerException()), "GET /");

        assertEquals(List.of(Level.ERROR, Level.ERROR), appender.list.stream().map(ILoggingEvent::getLevel).toList());
        assertNotNull(appender.list.get(0).getThrowableProxy());
        assertEquals(IllegalStateException.class.getName(), appender.list.get(0).getThrowableProxy().getClassName());
        assertEquals(NullPointerException.class.getName(), appender.list.get(1).getThrowableProxy().getClassName());
    }

    @ParameterizedTest
    @EnumSource(value = ErrorKind.class, names = {"CONNECT_REFUSED", "CONNECT_TIMEOUT", "UNRESOLVABLE", "TLS",
            "UPSTREAM_RESET", "UPSTREAM_TIMEOUT", "INVALID_RESPONSE"})
    void backendFailuresLogAtWarn(ErrorKind kind) {
        errors.report(ProxyError.of(kind, "backend b:1 failed", new java.io.IOException("x")), "GET /");

        assertEquals(1, appender.list.size());
        ILoggingEvent event = appender.list.get(0);
        assertEquals(Level.WARN, event.getLevel());
        assertEquals("GET /: " + kind.label() + ": backend b:1 failed", event.getFormattedMessage());
        assertNull(event.getThrowableProxy(), "a backend's failure is not a stack trace");
    }

    @ParameterizedTest
    @EnumSource(value = ErrorKind.class, names = {"CLIENT_ABORT", "CLIENT_TIMEOUT", "BAD_REQUEST"})
    void theClientsDoingsLogAtDebugOnly(ErrorKind kind) {
        logger.setLevel(Level.DEBUG);
        errors.report(ProxyError.of(kind, "the client did something", null), "GET /");
        now.addAndGet(2 * SECOND);
        errors.report(ProxyError.of(kind, "and again", null), "GET /");

        assertEquals(2, appender.list.size());
        assertTrue(appender.list.stream().allMatch(e -> e.getLevel() == Level.DEBUG), appender.list.toString());
        assertFalse(appender.list.stream().anyMatch(e -> e.getLevel().isGreaterOrEqual(Level.INFO)));
    }

    @ParameterizedTest
    @EnumSource(value = ErrorKind.class, names = {"CLIENT_ABORT", "CLIENT_TIMEOUT", "BAD_REQUEST"})
    void theClientsDoingsAreSilentAtTheDefaultLevel(ErrorKind kind) {
        logger.setLevel(Level.INFO);
        for (int i = 0; i < 5; i++) {
            errors.report(ProxyError.of(kind, "the client did something", null), "GET /");
            now.addAndGet(2 * SECOND);
        }

        assertEquals(List.of(), messages());
    }
}
