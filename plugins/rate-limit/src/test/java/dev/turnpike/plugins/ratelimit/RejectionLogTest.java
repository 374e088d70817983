package dev.turnpike.plugins.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testkit.phases.FakeSession;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The WARN line: with the key, at most once a second per key, and a ceiling under attack. */
class RejectionLogTest {

    @Test
    void atMostOneLinePerKeyPerSecond() {
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 1, "refill_per_second", 0.001);
        FakeSession s = FakeSession.from("203.0.113.7");
        assertEquals(1, Hit.passes(r, s, 1));
        for (int i = 0; i < 100; i++) {
            Hit.of(r, s);
            l.clock.advanceMillis(9); // 100 rejections over 0.9 s
        }
        assertEquals(1, l.warnings.size(), l.warnings::toString);
        String line = l.warnings.get(0);
        assertTrue(line.contains("203.0.113.7") && line.contains("429") && line.contains("plugins.chain[0]"), line);

        l.clock.advanceMillis(100);
        Hit.of(r, s);
        assertEquals(2, l.warnings.size(), "a second after the first line, the next one");
        Hit.of(r, FakeSession.from("203.0.113.8"));
        Hit.of(r, FakeSession.from("203.0.113.8"));
        assertEquals(3, l.warnings.size(), "another key has its own allowance");
    }

    @Test
    void noMoreThanTwentyLinesASecondHoweverManyKeys() {
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 1, "refill_per_second", 0.001);
        FakeSession s = FakeSession.get("/");
        for (int i = 0; i < 1000; i++) {
            s.client("10.0." + (i >> 8) + "." + (i & 0xff));
            Hit.of(r, s);
            Hit.of(r, s);
        }
        assertEquals(RejectionLog.MAX_LINES_PER_SECOND, l.warnings.size());
        l.clock.advanceMillis(1000);
        Hit.of(r, FakeSession.from("10.9.9.9"));
        Hit.of(r, FakeSession.from("10.9.9.9"));
        String last = l.warnings.get(l.warnings.size() - 1);
        assertTrue(last.contains("980 rejected key(s) not logged"), last);
        assertEquals(1000 + 1, (long) l.metrics.value(RateLimit.REJECTED_METRIC, "plugins.chain[0]"),
                "every rejection is counted, logged or not");
    }

    @Test
    void aClientChosenKeyIsLoggedPrintablyAndShort() {
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 1, "refill_per_second", 0.001, "key", "header", "header", "appid");
        FakeSession s = FakeSession.from("203.0.113.7").header("appid", "a\u0001b\u00e9c");
        Hit.of(r, s);
        Hit.of(r, s);
        assertTrue(l.warnings.get(0).contains("appid:a?b?c"), l.warnings.get(0));
        assertEquals("x".repeat(200) + "...", RejectionLog.printable("x".repeat(201)));
    }

    @Test
    void theLimiterNameLabelsTheLineAndTheCounter() {
        Limiters l = new Limiters();
        RateLimit r = l.start("burst", 1, "refill_per_second", 1, "name", "login-guard");
        FakeSession s = FakeSession.from("203.0.113.7");
        Hit.of(r, s);
        Hit.of(r, s);
        assertTrue(l.warnings.get(0).startsWith("rate limit login-guard (token bucket: burst 1, refill 1.0/s)"),
                l.warnings.get(0));
        assertEquals(1, l.metrics.value(RateLimit.REJECTED_METRIC, "login-guard"), 0.0);
        assertEquals(List.of("limiter"), l.metrics.registered(RateLimit.REJECTED_METRIC).labelNames());
    }
}
