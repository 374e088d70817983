package dev.turnpike.runtime.log;

import java.time.Instant;

/**
 * ISO-8601 UTC timestamps for log lines, formatted once per millisecond per thread rather than per
 * line: at tens of thousands of lines a second, most lines share their millisecond with the last.
 */
final class Timestamps {

    private static final ThreadLocal<Timestamps> LAST = ThreadLocal.withInitial(Timestamps::new);

    private long millis = Long.MIN_VALUE;
    private String text;

    private Timestamps() {
    }

    static String now() {
        Timestamps t = LAST.get();
        long now = System.currentTimeMillis();
        if (now != t.millis) {
            t.millis = now;
            t.text = Instant.ofEpochMilli(now).toString();
        }
        return t.text;
    }
}
