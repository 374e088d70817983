package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.TestBackend;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A proxy started with signals ignored (as under {@code nohup}, which ignores SIGHUP): HotSpot will
 * not install a handler for an ignored HUP, INT or TERM and Java cannot restore their default, so
 * the proxy says at start, in one WARN, which signals will do nothing and why, and how to start it
 * so that they work. The signals then indeed do nothing: the process lives on and nothing reloads.
 */
class IgnoredSignalsIT {

    static final String WARNING = "SIGHUP will not reload the configuration (edits of the file still do); SIGINT (Ctrl-C) "
            + "will not stop the proxy: the proxy was started with SIGHUP, SIGINT ignored (nohup, or a background job of a "
            + "script) and the JVM cannot take over an ignored signal; start it with setsid rather than nohup, or through "
            + "env --default-signal=HUP,INT, to have them back";

    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void startedWithHupAndIntIgnoredItWarnsOnceAndThoseSignalsDoNothing() throws Exception {
        try (TestBackend a = new TestBackend("a")) {
            a.start();
            try (ProxyProcess proxy = ProxyProcess.builder(dir).backends(a).ignoringSignals("HUP", "INT").start()) {
                awaitLog(proxy, "cannot take over an ignored signal");
                List<String> warned = proxy.log().lines().filter(l -> l.contains("WARN") && l.contains("ignored")).toList();
                assertEquals(1, warned.size(), proxy.log());
                assertTrue(warned.get(0).endsWith(WARNING), warned.get(0));

                signal(proxy, "HUP");
                signal(proxy, "INT");
                Thread.sleep(1_500);
                proxy.assertAlive();
                assertFalse(proxy.log().contains("reloaded (SIGHUP)"), "SIGHUP was ignored, as the warning said:\n" + proxy.log());
                assertFalse(proxy.log().contains("SIGINT: stopping"), "SIGINT was ignored, as the warning said:\n" + proxy.log());
            } // SIGTERM, which was not ignored, stops it gracefully (close() fails otherwise)
        }
    }

    @Test
    @Timeout(60)
    void startedWithNothingIgnoredItDoesNotWarnAndSighupReloads() throws Exception {
        try (TestBackend a = new TestBackend("a")) {
            a.start();
            try (ProxyProcess proxy = ProxyProcess.builder(dir).backends(a).start()) {
                signal(proxy, "HUP"); // answered once its handler is installed, just before the warning would be
                awaitLog(proxy, "configuration reloaded (SIGHUP): generation 2 in force");
                assertFalse(proxy.log().contains("cannot take over an ignored signal"), proxy.log());
            }
        }
    }

    private static void awaitLog(ProxyProcess proxy, String text) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!proxy.log().contains(text) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(proxy.log().contains(text), "no '" + text + "' in the log:\n" + proxy.log());
    }

    private static void signal(ProxyProcess proxy, String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(proxy.process().pid())).redirectErrorStream(true).start();
        assertEquals(0, kill.waitFor(), new String(kill.getInputStream().readAllBytes()));
    }
}
