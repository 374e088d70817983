package dev.turnpike.plugins.tracing;

import dev.turnpike.api.MessageSyntax;
import dev.turnpike.api.config.ConfigSection;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The plugin's configuration, read and checked once in {@code start()}: every key is read (so the
 * host's unknown-key check sees only misspellings) and every refusal names the key's full path and
 * the reason. The module's README is the reference.
 */
final class TracingSettings {

    static final String DEFAULT_ENDPOINT = "http://127.0.0.1:4318/v1/traces";
    static final String DEFAULT_SERVICE_NAME = "turnpike";
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration MAX_TIMEOUT = Duration.ofSeconds(60);
    static final int DEFAULT_MAX_QUEUE = 2048;
    static final int MAX_MAX_QUEUE = 1_000_000;
    static final int DEFAULT_MAX_BATCH = 512;
    static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(5);
    static final Duration MAX_FLUSH_INTERVAL = Duration.ofMinutes(10);

    /** What goes over the wire to the collector. */
    enum Compression { NONE, GZIP }

    final URI endpoint;
    final String serviceName;
    final boolean trustIncoming;
    final double sampleRatio;
    /** Sent with every export, in file order. */
    final Map<String, String> headers;
    final Duration timeout;
    final Compression compression;
    final int maxQueue;
    final int maxBatch;
    final Duration flushInterval;

    private TracingSettings(ConfigSection c) {
        this.endpoint = endpoint(c);
        this.serviceName = serviceName(c);
        this.trustIncoming = c.bool("trust_incoming", true);
        this.sampleRatio = sampleRatio(c);
        this.headers = headers(c);
        this.timeout = positive(c, "timeout", DEFAULT_TIMEOUT, MAX_TIMEOUT);
        this.compression = Compression.valueOf(c.oneOf("compression", "none", "none", "gzip").toUpperCase(Locale.ROOT));
        this.maxQueue = c.integer("max_queue", DEFAULT_MAX_QUEUE, 1, MAX_MAX_QUEUE);
        this.maxBatch = c.integer("max_batch", Math.min(DEFAULT_MAX_BATCH, maxQueue), 1, MAX_MAX_QUEUE);
        if (maxBatch > maxQueue) {
            throw c.invalid("max_batch", maxBatch + " is more than max_queue (" + maxQueue + "): a batch is taken from the queue");
        }
        this.flushInterval = positive(c, "flush_interval", DEFAULT_FLUSH_INTERVAL, MAX_FLUSH_INTERVAL);
    }

    /** Reads and checks the section. @throws dev.turnpike.api.config.InvalidConfigException naming the key */
    static TracingSettings parse(ConfigSection c) {
        return new TracingSettings(c);
    }

    private static URI endpoint(ConfigSection c) {
        String text = c.string("endpoint", DEFAULT_ENDPOINT).trim();
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw c.invalid("endpoint", "'" + text + "' is not a URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw c.invalid("endpoint", "'" + text + "' must be an http:// or https:// URL (OTLP over HTTP, e.g. " + DEFAULT_ENDPOINT + ")");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw c.invalid("endpoint", "'" + text + "' names no host");
        }
        if (uri.getRawUserInfo() != null) {
            throw c.invalid("endpoint", "credentials in the URL are not sent; put them in headers (e.g. Authorization)");
        }
        if (uri.getRawFragment() != null) {
            throw c.invalid("endpoint", "'" + text + "' has a fragment (#...), which a collector never sees");
        }
        return uri;
    }

    private static String serviceName(ConfigSection c) {
        String name = c.string("service_name", DEFAULT_SERVICE_NAME).trim();
        if (name.isEmpty() || name.length() > 255) {
            throw c.invalid("service_name", "must be 1 to 255 characters");
        }
        return name;
    }

    private static double sampleRatio(ConfigSection c) {
        double r = c.number("sample_ratio", 1.0);
        if (!(r >= 0 && r <= 1)) {
            throw c.invalid("sample_ratio", r + " is outside 0..1 (the share of new traces recorded; 1 records every one)");
        }
        return r;
    }

    private static Map<String, String> headers(ConfigSection c) {
        ConfigSection section = c.section("headers");
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : section.keys()) {
            try {
                MessageSyntax.checkName(name);
            } catch (IllegalArgumentException e) {
                throw section.invalid(name, e.getMessage());
            }
            String value = section.string(name);
            try {
                MessageSyntax.checkValue(name, value);
            } catch (IllegalArgumentException e) {
                throw section.invalid(name, e.getMessage());
            }
            out.put(name, value);
        }
        return Collections.unmodifiableMap(out);
    }

    private static Duration positive(ConfigSection c, String key, Duration fallback, Duration max) {
        Duration d = c.duration(key, fallback);
        if (d.isZero() || d.compareTo(max) > 0) {
            throw c.invalid(key, "must be more than 0 and at most " + max.toSeconds() + "s");
        }
        return d;
    }
}
