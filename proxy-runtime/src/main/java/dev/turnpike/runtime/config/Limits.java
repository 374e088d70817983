package dev.turnpike.runtime.config;

import dev.turnpike.api.config.ConfigSection;
import java.time.Duration;

/** Range checks shared by the settings records, so that every duration and size is bounded alike. */
public final class Limits {

    /**
     * Every timeout of the runtime lies within these. Below a millisecond, Netty's millisecond
     * options would round to 0, which means "no timeout"; past a day, int milliseconds come close to
     * overflowing, and no sane timeout is that long.
     */
    static final Duration MIN_DURATION = Duration.ofMillis(1);
    static final Duration MAX_DURATION = Duration.ofHours(24);

    private Limits() {
    }

    /** A duration within {@link #MIN_DURATION}..{@link #MAX_DURATION}. */
    static Duration duration(ConfigSection s, String key, Duration fallback) {
        Duration d = s.duration(key, fallback);
        if (d.compareTo(MIN_DURATION) < 0 || d.compareTo(MAX_DURATION) > 0) {
            throw s.invalid(key, text(d) + " is outside " + text(MIN_DURATION) + ".." + text(MAX_DURATION));
        }
        return d;
    }

    /** A size in bytes within {@code [min, max]}. */
    static int size(ConfigSection s, String key, int fallback, int min, int max) {
        long n = s.size(key, fallback);
        if (n < min || n > max) {
            throw s.invalid(key, text(n) + " is outside " + text(min) + ".." + text(max));
        }
        return (int) n;
    }

    /** A size as an operator would write it: {@code 16k} rather than 16384 where exact. */
    public static String text(long bytes) {
        if (bytes != 0 && bytes % (1 << 20) == 0) {
            return bytes / (1 << 20) + "m";
        }
        if (bytes != 0 && bytes % (1 << 10) == 0) {
            return bytes / (1 << 10) + "k";
        }
        return Long.toString(bytes);
    }

    /** A duration as an operator would write it: {@code 2m} rather than PT2M. */
    public static String text(Duration d) {
        long nanos = d.toNanos();
        if (nanos == 0) {
            return "0s";
        }
        if (nanos % 3_600_000_000_000L == 0) {
            return nanos / 3_600_000_000_000L + "h";
        }
        if (nanos % 60_000_000_000L == 0) {
            return nanos / 60_000_000_000L + "m";
        }
        if (nanos % 1_000_000_000L == 0) {
            return nanos / 1_000_000_000L + "s";
        }
        if (nanos % 1_000_000L == 0) {
            return nanos / 1_000_000L + "ms";
        }
        return nanos / 1e6 + "ms";
    }
}
