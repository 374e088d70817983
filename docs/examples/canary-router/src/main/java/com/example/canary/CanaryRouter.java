package com.example.canary;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.api.metrics.Counter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.pf4j.Extension;

/**
 * Sends a share of clients to the canary backends and the rest to the stable ones, in
 * {@code upstream_peer}. A request is forced to a track by a header or a cookie when one is
 * configured and says {@code canary} or {@code stable} (testers, a QA cookie); otherwise its
 * sticky key (client IP, a header, a cookie) is hashed with the salt, and the hash decides both
 * the track, for {@code percent} of clients the canary, and the backend within the track.
 *
 * <pre>
 * - id: canary-router
 *   config:
 *     stable: [10.0.0.1:8080, 10.0.0.2:8080]   # required
 *     canary: [10.0.0.9:8080]                   # required
 *     percent: 5                 # share of clients on the canary, 0..100, decimals allowed (default 0)
 *     sticky_on: cookie:session  # client_ip (default), header:&lt;Name&gt; or cookie:&lt;name&gt;
 *     salt: release-42           # changes which clients are in the canary (default "")
 *     force_header: X-Canary     # a request with X-Canary: canary|stable goes there (default none)
 *     force_cookie: canary       # the same with a cookie (default none)
 *     track_header: X-Canary-Track   # sent upstream, naming the track (default none)
 * </pre>
 *
 * <p>The hash is the same in every process and across restarts, so a client keeps its track and
 * backend through reloads, restarts and several proxies side by side; and raising {@code percent}
 * only adds clients to the canary: everyone already there stays. When a failure hook of the chain
 * asks for a retry, the next backend of the same track is chosen (a canary client is not moved to
 * stable, nor the reverse).
 */
@Extension
public class CanaryRouter implements ProxyPlugin<CanaryRouter.Choice> {

    /** Which set of backends a request goes to. */
    enum Track {
        STABLE, CANARY;

        final String label = name().toLowerCase(Locale.ROOT);
    }

    /** One request's track, decided in its first {@code upstream_peer}. */
    public static final class Choice {
        Track track;
    }

    /** Hash buckets: percent is honoured to two decimals. */
    private static final int BUCKETS = 10_000;

    // Written by start() on the management thread before any request, then only read.
    private volatile List<Peer> stable;
    private volatile List<Peer> canary;
    private volatile int canaryBuckets;
    private volatile StickyKey sticky;
    private volatile String salt;
    private volatile String forceHeader;
    private volatile String forceCookie;
    private volatile String trackHeader;
    private volatile Counter routed;

    @Override
    public void start(PluginContext context) {
        ConfigSection c = context.config();
        stable = peers(c, "stable");
        canary = peers(c, "canary");
        Set<Peer> seen = new HashSet<>(stable);
        for (Peer p : canary) {
            if (seen.contains(p)) {
                throw c.invalid("canary", p.address() + " is in stable too: a backend serves one track");
            }
        }
        double percent = c.number("percent", 0);
        if (!(percent >= 0 && percent <= 100)) {
            throw c.invalid("percent", percent + " is outside 0..100");
        }
        canaryBuckets = (int) Math.round(percent * (BUCKETS / 100));
        sticky = StickyKey.parse(c, "sticky_on", c.string("sticky_on", "client_ip"));
        salt = c.string("salt", "");
        forceHeader = c.string("force_header", null);
        forceCookie = c.string("force_cookie", null);
        trackHeader = c.string("track_header", null);
        routed = context.metrics().counter("canary_requests_total", "Requests routed by the canary router, by track.", "track");
    }

    private static List<Peer> peers(ConfigSection c, String key) {
        List<String> raw = c.strings(key);
        if (raw.isEmpty()) {
            throw c.invalid(key, "required: at least one host:port");
        }
        List<Peer> out = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            try {
                Peer p = Peer.parse(raw.get(i));
                if (out.contains(p)) {
                    throw new IllegalArgumentException("listed twice");
                }
                out.add(p);
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigException(c.keyPath(key) + "[" + i + "]", "'" + raw.get(i) + "': " + e.getMessage());
            }
        }
        return List.copyOf(out);
    }

    @Override
    public Choice newContext(Session session) {
        return new Choice();
    }

    @Override
    public Outcome upstreamPeer(Session session, Choice ctx) {
        long hash = StableHash.of(salt, sticky.of(session));
        Peer failed = session.peer();
        if (ctx.track == null || failed == null) {
            ctx.track = track(session, hash);
            routed.inc(ctx.track.label);
        }
        List<Peer> peers = ctx.track == Track.CANARY ? canary : stable;
        int index = Math.floorMod((int) hash, peers.size()); // the low half: the high half chose the track
        if (failed != null) {
            int at = peers.indexOf(failed);
            if (at >= 0) {
                index = (at + 1) % peers.size(); // a retry: the next backend of the same track
            }
        }
        return Outcome.upstream(peers.get(index));
    }

    @Override
    public Outcome upstreamRequestFilter(Session session, Choice ctx) {
        if (trackHeader != null && ctx.track != null) {
            session.upstreamRequest().headers().set(trackHeader, ctx.track.label);
        }
        return Outcome.proceed();
    }

    private Track track(Session session, long hash) {
        Track forced = forced(session);
        if (forced != null) {
            return forced;
        }
        int bucket = Math.floorMod((int) (hash >>> 32), BUCKETS);
        return bucket < canaryBuckets ? Track.CANARY : Track.STABLE;
    }

    private Track forced(Session session) {
        String v = forceHeader == null ? null : session.request().headers().get(forceHeader);
        if (v == null && forceCookie != null) {
            v = Cookies.value(session.request().headers().getAll("Cookie"), forceCookie);
        }
        if (v == null) {
            return null;
        }
        switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "canary": return Track.CANARY;
            case "stable": return Track.STABLE;
            default: return null; // anything else is ignored: a typo must not pick a track
        }
    }
}
