package dev.turnpike.plugins.roundrobin;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.pf4j.Extension;

/**
 * {@code upstream_peer} over a fixed list of backends, each request to the next one in turn.
 *
 * <p>Configuration (the chain entry's {@code config:} section):
 * <dl>
 *   <dt>{@code backends} (required)</dt>
 *   <dd>a non-empty list of {@code host:port} ({@code [v6]:port} for IPv6 literals); a backend
 *       listed twice gets twice the share</dd>
 *   <dt>{@code connect_timeout} (optional)</dt>
 *   <dd>a duration ({@code 250ms}, {@code 2s}) for connecting to a backend; unset: the runtime's
 *       {@code upstream.*} default</dd>
 *   <dt>{@code read_timeout} (optional)</dt>
 *   <dd>how long a backend may stay silent while its response is awaited; unset: the default</dd>
 * </dl>
 *
 * <p>It never looks at the request, answers every request, and knows nothing of backend health:
 * a failing backend keeps its turn. Plugins after it in {@code upstream_peer} are never asked.
 *
 * <p>Threads: {@link #start} runs once on the management thread and builds every {@link Peer}
 * (and its {@link Outcome}) there; {@link #upstreamPeer} runs on any event loop, concurrently,
 * allocates nothing and takes no lock: one shared atomic counter picks the next backend, so the
 * rotation is exact across all loops (at the price of that counter's cache line moving between
 * cores).
 */
@Extension
public final class RoundRobin implements ProxyPlugin<Void> {

    /**
     * One pre-built answer per backend, in configured order. Volatile because start() writes it on
     * the management thread and event loops read it; the chain swap already publishes it, this
     * just makes the class correct on its own.
     */
    private volatile Outcome[] answers = new Outcome[0];

    /** Never wraps in practice (2^63 requests), so the modulo stays an exact rotation. */
    private final AtomicLong next = new AtomicLong();

    @Override
    public void start(PluginContext context) {
        ConfigSection config = context.config();
        List<String> backends = config.strings("backends");
        if (backends.isEmpty()) {
            // Absent and empty read the same through strings(); the message covers both.
            throw config.invalid("backends", "required: a non-empty list of host:port");
        }
        Duration connectTimeout = positiveDuration(config, "connect_timeout");
        Duration readTimeout = positiveDuration(config, "read_timeout");

        Outcome[] built = new Outcome[backends.size()];
        for (int i = 0; i < built.length; i++) {
            Peer parsed;
            try {
                parsed = Peer.parse(backends.get(i));
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigException(config.keyPath("backends") + "[" + i + "]", e.getMessage());
            }
            Peer peer = parsed.toBuilder().connectTimeout(connectTimeout).readTimeout(readTimeout).build();
            built[i] = Outcome.upstream(peer);
        }
        answers = built;
    }

    @Override
    public Outcome upstreamPeer(Session session, Void ctx) {
        Outcome[] a = answers;
        if (a.length == 0) {
            // Only reachable if the runtime called a phase before start(): not ours to answer.
            return Outcome.proceed();
        }
        return a[Math.floorMod(next.getAndIncrement(), a.length)];
    }

    /** The peers in configured order (what {@link #upstreamPeer} rotates over). */
    public List<Peer> peers() {
        Outcome[] a = answers;
        Peer[] peers = new Peer[a.length];
        for (int i = 0; i < a.length; i++) {
            peers[i] = a[i].peer();
        }
        return List.of(peers);
    }

    private static Duration positiveDuration(ConfigSection config, String key) {
        Duration d = config.duration(key, null);
        if (d != null && d.isZero()) {
            // Peer.Builder would refuse it too, but under no config key.
            throw config.invalid(key, "must be more than zero");
        }
        return d;
    }
}
