package dev.turnpike.plugins.ratelimit;

import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.api.net.Cidr;
import dev.turnpike.api.net.TrustedProxies;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The plugin's configuration, read and checked once in {@code start()}. Every key is read (so the
 * host's unknown-key check sees only misspellings), and every refusal names the key's full path.
 * See the module's README for the reference.
 */
final class Settings {

    enum Mode { TOKEN_BUCKET, SLIDING_WINDOW }

    enum KeyKind { IP, HEADER, IP_PATH }

    enum Missing { ALLOW, SHARED, IP }

    enum Store { LOCAL, REDIS }

    /** store: redis counts in whole microseconds (see {@link RemotePolicy}). */
    static final double MAX_REDIS_REFILL = 1_000_000;

    /** The longest a full refill (burst / refill_per_second) may take: about 31 years. */
    static final double MAX_REFILL_NANOS = 1e18;
    static final int DEFAULT_MAX_KEYS = 100_000;
    static final int MAX_MAX_KEYS = 100_000_000;
    static final int MAX_BURST = 1_000_000_000;
    static final int MAX_WINDOW_REQUESTS = 1_000_000;
    static final Duration MAX_WINDOW = Duration.ofHours(24);
    static final int DEFAULT_IPV6_PREFIX = 64;

    final String name;
    final Mode mode;
    /** token_bucket only. */
    final long burst;
    final double refillPerSecond;
    /** sliding_window only. */
    final int maxRequests;
    final Duration window;
    final KeyKind key;
    /** key: header only: the header's name, lower case. */
    final String header;
    final Missing missingKey;
    /** key: ip_path only: normalized, longest first. */
    final PathPrefixes pathPrefixes;
    final TrustedProxies trustedProxies;
    final int ipv6Prefix;
    final boolean headers;
    final int maxKeys;
    final Store store;
    /** store: redis only. */
    final RedisSettings redis;

    private Settings(ConfigSection c) {
        String modeText = c.oneOf("mode", "token_bucket", "token_bucket", "sliding_window");
        this.mode = modeText.equals("token_bucket") ? Mode.TOKEN_BUCKET : Mode.SLIDING_WINDOW;
        if (mode == Mode.TOKEN_BUCKET) {
            refuseIfSet(c, "max_requests", "only with mode: sliding_window");
            refuseIfSet(c, "window", "only with mode: sliding_window");
            this.burst = c.integer("burst", required(c, "burst", "with mode: token_bucket"), 1, MAX_BURST);
            this.refillPerSecond = refill(c);
            this.maxRequests = 0;
            this.window = null;
        } else {
            refuseIfSet(c, "burst", "only with mode: token_bucket");
            refuseIfSet(c, "refill_per_second", "only with mode: token_bucket");
            this.burst = 0;
            this.refillPerSecond = 0;
            this.maxRequests = c.integer("max_requests", required(c, "max_requests", "with mode: sliding_window"),
                    1, MAX_WINDOW_REQUESTS);
            required(c, "window", "with mode: sliding_window");
            Duration w = c.duration("window", null);
            if (w.isZero() || w.compareTo(MAX_WINDOW) > 0) {
                throw c.invalid("window", "must be more than 0 and at most 24h, not " + formatNanos(w.toNanos()));
            }
            this.window = w;
        }

        String keyText = c.oneOf("key", "ip", "ip", "header", "ip_path");
        this.key = KeyKind.valueOf(keyText.toUpperCase(Locale.ROOT));
        if (key == KeyKind.HEADER) {
            required(c, "header", "with key: header (the header to key on, e.g. appid)");
            String h = c.string("header").trim();
            if (!isToken(h)) {
                throw c.invalid("header", "'" + h + "' is not a header name");
            }
            this.header = h.toLowerCase(Locale.ROOT);
            String m = c.oneOf("missing_key", "ip", "allow", "shared", "ip");
            this.missingKey = Missing.valueOf(m.toUpperCase(Locale.ROOT));
        } else {
            refuseIfSet(c, "header", "only with key: header");
            refuseIfSet(c, "missing_key", "only with key: header");
            this.header = null;
            this.missingKey = null;
        }
        if (key == KeyKind.IP_PATH) {
            required(c, "path_prefixes", "with key: ip_path");
            List<String> prefixes = c.strings("path_prefixes");
            if (prefixes.isEmpty()) {
                throw c.invalid("path_prefixes", "must list at least one path prefix");
            }
            try {
                this.pathPrefixes = PathPrefixes.of(prefixes);
            } catch (PathPrefixes.BadPrefix e) {
                throw new InvalidConfigException(c.keyPath("path_prefixes") + "[" + e.index + "]", e.getMessage());
            }
        } else {
            refuseIfSet(c, "path_prefixes", "only with key: ip_path");
            this.pathPrefixes = null;
        }

        this.trustedProxies = trusted(c);
        this.ipv6Prefix = c.integer("ipv6_prefix", DEFAULT_IPV6_PREFIX, 1, 128);
        this.headers = c.bool("headers", false);
        this.maxKeys = c.integer("max_keys", DEFAULT_MAX_KEYS, 1, MAX_MAX_KEYS);
        String n = c.string("name", defaultName(c.path())).trim();
        if (n.isEmpty() || n.length() > 100 || !n.chars().allMatch(ch -> ch > ' ' && ch < 0x7f)) {
            throw c.invalid("name", "must be 1 to 100 printable ASCII characters without spaces");
        }
        this.name = n;

        this.store = Store.valueOf(c.oneOf("store", "local", "local", "redis").toUpperCase(Locale.ROOT));
        if (store == Store.REDIS) {
            required(c, "redis", "with store: redis (at least its uri)");
            this.redis = RedisSettings.parse(c.section("redis"));
            if (mode == Mode.TOKEN_BUCKET && refillPerSecond > MAX_REDIS_REFILL) {
                throw c.invalid("refill_per_second", "must be at most 1000000 with store: redis (it counts in"
                        + " whole microseconds), not " + refillPerSecond);
            }
            if (mode == Mode.SLIDING_WINDOW && window.toMillis() < 1) {
                throw c.invalid("window", "must be at least 1ms with store: redis, not " + formatNanos(window.toNanos()));
            }
            if (n.indexOf('{') >= 0 || n.indexOf('}') >= 0) {
                throw c.invalid("name", "must not hold braces with store: redis (they would move the Redis"
                        + " Cluster hash tag of its keys), not '" + n + "'");
            }
        } else {
            refuseIfSet(c, "redis", "only with store: redis");
            this.redis = null;
        }
    }

    /** Reads and checks the section. @throws InvalidConfigException naming the key */
    static Settings parse(ConfigSection c) {
        return new Settings(c);
    }

    private static double refill(ConfigSection c) {
        double r = c.number("refill_per_second", required(c, "refill_per_second", "with mode: token_bucket"));
        if (!(r > 0) || Double.isInfinite(r)) {
            throw c.invalid("refill_per_second", "must be more than 0 (tokens per second; fractions such as 0.5 are fine), not " + r);
        }
        if (r > Decision.NANOS_PER_SECOND) {
            throw c.invalid("refill_per_second", "must be at most 1000000000, not " + r);
        }
        long interval = Math.round(Decision.NANOS_PER_SECOND / r);
        long burst = c.integer("burst", 1);
        if ((double) burst * interval > MAX_REFILL_NANOS) {
            throw c.invalid("refill_per_second", "a full refill (burst / refill_per_second) would take more than "
                    + (long) (MAX_REFILL_NANOS / Decision.NANOS_PER_SECOND) + " seconds");
        }
        return r;
    }

    private static TrustedProxies trusted(ConfigSection c) {
        List<String> cidrs = c.strings("trusted_proxies");
        List<String> checked = new ArrayList<>();
        for (int i = 0; i < cidrs.size(); i++) {
            try {
                checked.add(Cidr.parse(cidrs.get(i)).toString());
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigException(c.keyPath("trusted_proxies") + "[" + i + "]", e.getMessage());
            }
        }
        return checked.isEmpty() ? TrustedProxies.none() : TrustedProxies.of(checked);
    }

    /** Throws "required ..." when {@code key} is absent; returns a placeholder fallback otherwise. */
    private static int required(ConfigSection c, String key, String when) {
        if (!c.has(key)) {
            throw c.invalid(key, "required " + when);
        }
        return 0;
    }

    private static void refuseIfSet(ConfigSection c, String key, String why) {
        if (c.has(key)) {
            throw c.invalid(key, why);
        }
    }

    /** {@code plugins.chain[2].config} → {@code plugins.chain[2]}; a bare section → {@code rate-limit}. */
    static String defaultName(String sectionPath) {
        String p = sectionPath == null ? "" : sectionPath;
        if (p.endsWith(".config")) {
            p = p.substring(0, p.length() - ".config".length());
        }
        return p.isEmpty() ? "rate-limit" : p;
    }

    /** RFC 9110 token. */
    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            boolean ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(ch) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** A duration in nanoseconds as a person would write it: {@code 60s}, {@code 250ms}, {@code 1.5s}. */
    static String formatNanos(long nanos) {
        if (nanos % Decision.NANOS_PER_SECOND == 0) {
            return nanos / Decision.NANOS_PER_SECOND + "s";
        }
        if (nanos % 1_000_000 == 0) {
            return nanos / 1_000_000 + "ms";
        }
        return nanos + "ns";
    }

    /** The policy these settings describe. */
    Policy<? extends KeyState> policy() {
        return mode == Mode.TOKEN_BUCKET
                ? new TokenBucket(burst, refillPerSecond)
                : new SlidingWindow(maxRequests, window.toNanos());
    }

    /**
     * About the most heap the table can hold when all {@code max_keys} keys are tracked, for the
     * start-up warning: per key, the map entry, key string and state as measured (about 140 bytes
     * for an IPv4 key and a token bucket), plus what the key kind and the mode add at most.
     */
    long worstCaseBytes() {
        long perKey = 140;
        switch (key) {
            case HEADER: perKey += header.length() + 1 + KeyResolver.MAX_VALUE_CHARS; break;
            case IP_PATH: perKey += 32 + longest(pathPrefixes.prefixes()); break;
            default: perKey += 32; // an IPv6 network is longer than an IPv4 address
        }
        if (mode == Mode.SLIDING_WINDOW) {
            perKey += 32 + 8L * maxRequests;
        }
        return perKey * maxKeys;
    }

    private static int longest(List<String> strings) {
        int max = 0;
        for (String s : strings) {
            max = Math.max(max, s.length());
        }
        return max;
    }
}
