package com.example.mirror;

import dev.turnpike.api.BodyChunk;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.RequestHead;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.metrics.Counter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import org.pf4j.Extension;

/**
 * Mirrors each request that goes upstream to a shadow backend (a new version under test, a
 * traffic recorder), fire-and-forget: the copy is sent on the plugin's own threads, its answer is
 * discarded, and nothing about it (slow, failing, dead, or too many at once) can delay or fail the
 * real request. Every phase here returns {@code proceed} at once.
 *
 * <pre>
 * - id: request-mirror
 *   config:
 *     target: http://shadow.internal:8080   # required: origin, optionally with a path prefix
 *     max_in_flight: 64    # mirrors under way at once; more are dropped and counted (default 64)
 *     timeout: 5s          # the shadow's connect and answer timeout (default 5s)
 *     body_limit: 64k      # bodies up to this are mirrored with the request (default 0: see below)
 * </pre>
 *
 * <p><b>Which requests.</b> The copy is taken in the first {@code upstream_request_filter} (not
 * again for a retry), from the head as it goes upstream with the edits of the plugins before this
 * one: put it last in the chain to mirror what the backend gets. A request answered by a plugin,
 * or never sent upstream, is not mirrored. The shadow gets {@code X-Forwarded-Host} (the client's
 * Host) and {@code X-Turnpike-Mirror: 1}.
 *
 * <p><b>Bodies.</b> A request without a body is mirrored at once. A request with a body is
 * mirrored only when {@code body_limit} is more than 0 and the body fits: its chunks are copied as
 * they pass ({@code request_body_filter}, the real body going on untouched and unheld), and the
 * copy is sent with the last chunk. A body over the limit (declared or found so) is not mirrored
 * at all, since a cut body would be a different request; it is counted as {@code skipped}. The
 * copies held at once are at most the requests in flight times {@code body_limit}: size it so.
 *
 * <p>Metrics: {@code mirror_requests_total{result="sent|failed|dropped|skipped"}} and
 * {@code mirror_in_flight}.
 */
@Extension
public class RequestMirror implements ProxyPlugin<RequestMirror.Copy> {

    /** One request's copy while its body is collected; {@code request} null once sent or given up. */
    public static final class Copy {
        boolean taken;
        MirroredRequest request;
        byte[] body;
        int size;
    }

    // Written by start() on the management thread before any request, then only read.
    private volatile MirrorSender sender;
    private volatile int bodyLimit;
    private volatile Counter results;

    @Override
    public void start(PluginContext context) {
        ConfigSection c = context.config();
        String base = target(c);
        int maxInFlight = c.integer("max_in_flight", 64, 1, 100_000);
        Duration timeout = c.duration("timeout", Duration.ofSeconds(5));
        if (timeout.isZero()) {
            throw c.invalid("timeout", "must be more than 0");
        }
        long limit = c.size("body_limit", 0);
        if (limit > 16 << 20) {
            throw c.invalid("body_limit", limit + " bytes is more than 16m: a mirror holds its body in memory");
        }
        bodyLimit = (int) limit;
        results = context.metrics().counter("mirror_requests_total", "Requests mirrored to the shadow, by result.", "result");
        // Last: nothing above may fail once the sender holds threads.
        sender = new MirrorSender(base, timeout, maxInFlight, results,
                context.metrics().gauge("mirror_in_flight", "Mirrored requests under way."));
    }

    /** The target as a base to append the request's {@code /path?query} to. */
    private static String target(ConfigSection c) {
        String raw = c.string("target");
        try {
            URI u = new URI(raw);
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null
                    || u.getRawQuery() != null || u.getRawFragment() != null) {
                throw c.invalid("target", "'" + raw + "' is not an http:// or https:// origin (with a path prefix at most)");
            }
            String s = u.toString();
            return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
        } catch (URISyntaxException e) {
            throw c.invalid("target", "'" + raw + "' is not a URL: " + e.getReason());
        }
    }

    @Override
    public void stop() {
        MirrorSender s = sender;
        if (s != null) {
            s.close();
        }
    }

    /** For tests: whether the threads {@link #stop} ended are gone, waiting up to {@code wait}. */
    boolean awaitStopped(Duration wait) throws InterruptedException {
        return sender.awaitClosed(wait);
    }

    @Override
    public Copy newContext(Session session) {
        return new Copy();
    }

    @Override
    public Outcome upstreamRequestFilter(Session session, Copy ctx) {
        if (ctx.taken) {
            return Outcome.proceed(); // a retry: mirrored once already
        }
        ctx.taken = true;
        RequestHead head = session.upstreamRequest();
        long length = head.bodyLength();
        if (length == 0) {
            sender.send(MirroredRequest.of(head));
        } else if (bodyLimit == 0 || length > bodyLimit) {
            results.inc("skipped");
        } else {
            ctx.request = MirroredRequest.of(head);
            ctx.body = new byte[length > 0 ? (int) length : Math.min(bodyLimit, 8192)];
        }
        return Outcome.proceed();
    }

    @Override
    public Outcome requestBodyFilter(Session session, Copy ctx, BodyChunk chunk) {
        if (ctx.request == null) {
            return Outcome.proceed();
        }
        ByteBuffer bytes = chunk.bytes();
        int n = bytes.remaining();
        if (ctx.size + n > bodyLimit) {
            results.inc("skipped");
            ctx.request = null;
            ctx.body = null; // found over the limit: let the copy go now, not at the end of the body
            return Outcome.proceed();
        }
        if (ctx.size + n > ctx.body.length) {
            ctx.body = Arrays.copyOf(ctx.body, Math.min(bodyLimit, Math.max(ctx.body.length * 2, ctx.size + n)));
        }
        bytes.get(ctx.body, ctx.size, n);
        ctx.size += n;
        if (chunk.last()) {
            byte[] body = ctx.size == ctx.body.length ? ctx.body : Arrays.copyOf(ctx.body, ctx.size);
            sender.send(ctx.request.withBody(body));
            ctx.request = null;
            ctx.body = null;
        }
        return Outcome.proceed();
    }
}
