package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.api.config.ConfigSection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A group's {@code panic_threshold:}: the share of healthy backends below which the group is in
 * panic (Envoy's healthy panic threshold). Written as a percentage, {@code 50%} or {@code 12.5%},
 * within 0%..100%; {@code 0%} turns panic off. Only the percent form is taken: a bare {@code 50}
 * or {@code 0.5} would leave the reader guessing which of the two was meant.
 *
 * <p>Held in hundredths of a percent, so that the per-request test is whole-number arithmetic.
 */
record PanicThreshold(int basisPoints) {

    /** Envoy's default. */
    static final PanicThreshold DEFAULT = new PanicThreshold(5000);

    private static final Pattern PERCENT = Pattern.compile("(\\d{1,3})(?:\\.(\\d{1,2}))?\\s*%");

    static PanicThreshold read(ConfigSection s, String key) {
        if (!s.has(key)) {
            return DEFAULT;
        }
        String text = s.string(key).trim();
        Matcher m = PERCENT.matcher(text);
        if (!m.matches()) {
            throw s.invalid(key, "expected a percentage such as 50% (0% turns panic off), got '" + text + "'");
        }
        String hundredths = m.group(2) == null ? "00" : (m.group(2) + "0").substring(0, 2); // .5 is 50 hundredths
        int bp = Integer.parseInt(m.group(1)) * 100 + Integer.parseInt(hundredths);
        if (bp > 10_000) {
            throw s.invalid(key, "must be within 0%..100%, got " + text);
        }
        return new PanicThreshold(bp);
    }

    /** Whether panic is on at all. */
    boolean enabled() {
        return basisPoints > 0;
    }

    /** Whether {@code healthy} of {@code counted} backends is below the threshold. */
    boolean below(int healthy, int counted) {
        return (long) healthy * 10_000 < (long) basisPoints * counted;
    }

    @Override
    public String toString() {
        int whole = basisPoints / 100;
        int rest = basisPoints % 100;
        if (rest == 0) {
            return whole + "%";
        }
        return whole + "." + (rest % 10 == 0 ? String.valueOf(rest / 10) : String.format("%02d", rest)) + "%";
    }
}
