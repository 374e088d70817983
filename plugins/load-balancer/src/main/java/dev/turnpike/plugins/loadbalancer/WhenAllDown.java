package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.api.config.ConfigSection;

/**
 * What a group does when none of its backends is healthy ({@code when_all_down:}).
 *
 * <p>Written out, the operator's choice holds even with panic on. Left out, a group with panic on
 * treats "none healthy" as the deepest panic (0% is below any threshold) and spreads traffic over
 * all its backends, as Envoy does; with {@code panic_threshold: 0%} it answers 503, as before panic
 * existed.
 */
enum WhenAllDown {
    /** 503 with {@code Retry-After: 1} at once. */
    UNAVAILABLE("unavailable"),
    /** Sends to the backends anyway (also a retry once the healthy ones were tried). */
    FAIL_OPEN("fail_open"),
    /** The default with panic on: the group is in panic; never written in a config. */
    PANIC("panic");

    /** The key's value; also the {@code action} label of {@code lb_all_backends_down_total} (but "503" for unavailable). */
    final String key;

    WhenAllDown(String key) {
        this.key = key;
    }

    static WhenAllDown read(ConfigSection s, String key, PanicThreshold panic) {
        String v = s.string(key, null);
        if (v == null) {
            return panic.enabled() ? PANIC : UNAVAILABLE;
        }
        for (WhenAllDown w : new WhenAllDown[] {UNAVAILABLE, FAIL_OPEN}) {
            if (w.key.equals(v)) {
                return w;
            }
        }
        throw s.invalid(key, "'" + v + "' is not one of " + UNAVAILABLE.key + ", " + FAIL_OPEN.key);
    }
}
