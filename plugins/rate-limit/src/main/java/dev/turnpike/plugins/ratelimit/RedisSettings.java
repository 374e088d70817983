package dev.turnpike.plugins.ratelimit;

import dev.turnpike.api.config.ConfigSection;
import io.lettuce.core.RedisURI;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code redis:} section of {@code store: redis}, read and checked once in {@code start()}; every
 * refusal names the key. See the module's README ("Running a fleet") for the reference.
 *
 * <p>URI forms: {@code redis://} and {@code rediss://} (TLS) for one server, Lettuce's
 * {@code redis-sentinel://} and {@code rediss-sentinel://} ({@code host[:port][,host[:port]]...#master}),
 * and this plugin's {@code redis-cluster://} and {@code rediss-cluster://}
 * ({@code [user:password@]host:port[,host:port]...}: seed nodes of a Redis Cluster).
 */
final class RedisSettings {

    enum Topology { STANDALONE, SENTINEL, CLUSTER }

    enum OnError { ALLOW, DENY }

    static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(20);
    static final Duration MAX_TIMEOUT = Duration.ofSeconds(5);
    static final Duration MIN_SYNC = Duration.ofMillis(1);
    static final Duration MAX_SYNC = Duration.ofSeconds(60);
    static final String DEFAULT_PREFIX = "tp:";
    static final int MAX_PREFIX = 64;

    final Topology topology;
    final boolean tls;
    /** One URI, or a cluster's seed nodes, each as Lettuce reads it. */
    final List<RedisURI> uris;
    /** The URI as written with any password masked, for the log. */
    final String uriForLog;
    final Duration timeout;
    final OnError onError;
    final String keyPrefix;
    /** {@code null}: every decision asks Redis. */
    final Duration syncInterval;
    /** TLS only: the PEM certificates to trust instead of the JDK's; {@code null}: the JDK's. */
    final Path caFile;

    private RedisSettings(ConfigSection c) {
        if (!c.has("uri")) {
            throw c.invalid("uri", "required with store: redis (for example redis://127.0.0.1:6379)");
        }
        String uri = c.string("uri").trim();
        this.uriForLog = uri.replaceAll("//[^@/]*@", "//***@");
        String scheme = uri.contains("://") ? uri.substring(0, uri.indexOf("://")).toLowerCase(Locale.ROOT) : "";
        switch (scheme) {
            case "redis": case "rediss":
                topology = Topology.STANDALONE;
                uris = List.of(lettuce(c, uri));
                break;
            case "redis-sentinel": case "rediss-sentinel":
                topology = Topology.SENTINEL;
                if (uri.indexOf('#') < 0 || uri.endsWith("#")) {
                    throw c.invalid("uri", "a sentinel URI names its master after '#': " + uriForLog + "#mymaster");
                }
                uris = List.of(lettuce(c, uri));
                break;
            case "redis-cluster": case "rediss-cluster":
                topology = Topology.CLUSTER;
                uris = clusterSeeds(c, uri, scheme.startsWith("rediss") ? "rediss" : "redis");
                break;
            default:
                throw c.invalid("uri", "'" + uriForLog + "' is not a redis://, rediss://, redis-sentinel://, "
                        + "rediss-sentinel://, redis-cluster:// or rediss-cluster:// URI");
        }
        this.tls = scheme.startsWith("rediss");

        Duration t = c.duration("timeout", DEFAULT_TIMEOUT);
        if (t.isZero() || t.compareTo(MAX_TIMEOUT) > 0) {
            throw c.invalid("timeout", "must be more than 0 and at most 5s, not " + Settings.formatNanos(t.toNanos()));
        }
        this.timeout = t;
        this.onError = OnError.valueOf(c.oneOf("on_error", "allow", "allow", "deny").toUpperCase(Locale.ROOT));
        String p = c.string("key_prefix", DEFAULT_PREFIX);
        if (p.length() > MAX_PREFIX || !p.chars().allMatch(ch -> ch > ' ' && ch < 0x7f && ch != '{' && ch != '}')) {
            throw c.invalid("key_prefix", "must be at most " + MAX_PREFIX + " printable ASCII characters without"
                    + " spaces or braces (the braces of a key are its cluster hash tag), not '" + p + "'");
        }
        this.keyPrefix = p;
        Duration sync = c.duration("sync_interval", null);
        if (sync != null && (sync.compareTo(MIN_SYNC) < 0 || sync.compareTo(MAX_SYNC) > 0)) {
            throw c.invalid("sync_interval", "must be at least 1ms and at most 60s, not " + Settings.formatNanos(sync.toNanos()));
        }
        this.syncInterval = sync;
        this.caFile = caFile(c, tls);
    }

    private Path caFile(ConfigSection c, boolean tls) {
        if (!c.has("ca_file")) {
            return null;
        }
        if (!tls) {
            throw c.invalid("ca_file", "only with a rediss:// URI (TLS)");
        }
        Path p = Path.of(c.string("ca_file").trim());
        if (!Files.isReadable(p)) {
            throw c.invalid("ca_file", "cannot read " + p);
        }
        try (InputStream in = Files.newInputStream(p)) {
            if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
                throw c.invalid("ca_file", p + " holds no certificate");
            }
        } catch (IOException | CertificateException e) {
            throw c.invalid("ca_file", p + " is not a PEM certificate file: " + e.getMessage());
        }
        return p;
    }

    /** Reads and checks the section. @throws dev.turnpike.api.config.InvalidConfigException naming the key */
    static RedisSettings parse(ConfigSection redis) {
        return new RedisSettings(redis);
    }

    private RedisURI lettuce(ConfigSection c, String uri) {
        try {
            RedisURI u = RedisURI.create(uri);
            if (u.getSocket() != null) {
                throw c.invalid("uri", "a Unix socket is not supported: " + uriForLog);
            }
            return u;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw c.invalid("uri", "'" + uriForLog + "' cannot be read: " + e.getMessage());
        }
    }

    /** {@code redis-cluster://[auth@]h1:p1,h2:p2} → one {@code redis://[auth@]h:p} per seed. */
    private List<RedisURI> clusterSeeds(ConfigSection c, String uri, String scheme) {
        String rest = uri.substring(uri.indexOf("://") + 3);
        String auth = "";
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            auth = rest.substring(0, at + 1);
            rest = rest.substring(at + 1);
        }
        if (rest.contains("/") || rest.contains("?") || rest.contains("#")) {
            throw c.invalid("uri", "a cluster URI lists host:port seeds only (a cluster has no database number): " + uriForLog);
        }
        List<RedisURI> seeds = new ArrayList<>();
        for (String hostPort : rest.split(",")) {
            if (hostPort.isBlank()) {
                throw c.invalid("uri", "an empty seed in " + uriForLog);
            }
            seeds.add(lettuce(c, scheme + "://" + auth + hostPort.trim()));
        }
        return List.copyOf(seeds);
    }
}
