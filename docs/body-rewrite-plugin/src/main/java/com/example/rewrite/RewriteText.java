package com.example.rewrite;

import dev.turnpike.api.BodyChunk;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.ResponseHead;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.pf4j.Extension;

/**
 * Rewrites a string in text responses while they stream: every {@code find} in the body becomes
 * {@code replace}, chunk by chunk, holding back only the bytes that might start a match split
 * across two chunks. A response is rewritten when its Content-Type starts with one of
 * {@code content_types} and it is not compressed.
 *
 * <pre>
 * - id: body-rewrite
 *   config:
 *     find: "http://internal.example"
 *     replace: "https://www.example.com"
 *     content_types: [text/html, text/css, application/javascript]   # default [text/]
 * </pre>
 *
 * <p>Two phases do the work: {@code response_filter} decides per response and, when the
 * replacement's length differs, tells the runtime the body's length will change (it then goes out
 * chunked); {@code response_body_filter} replaces each chunk.
 */
@Extension
public class RewriteText implements ProxyPlugin<RewriteText.Rewrite> {

    /** One response's rewriting, or none: {@link #replace} is null for a response left alone. */
    public static final class Rewrite {
        StreamingReplace replace;
    }

    // Written by start() on the management thread, read by the event loops.
    private volatile byte[] find;
    private volatile byte[] replacement;
    private volatile List<String> types;

    @Override
    public void start(PluginContext context) {
        ConfigSection c = context.config();
        String f = c.string("find");
        if (f.isEmpty()) {
            throw c.invalid("find", "must not be empty");
        }
        find = f.getBytes(StandardCharsets.UTF_8);
        replacement = c.string("replace").getBytes(StandardCharsets.UTF_8);
        List<String> t = c.has("content_types") ? c.strings("content_types") : List.of("text/");
        types = t.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
    }

    @Override
    public Rewrite newContext(Session session) {
        return new Rewrite();
    }

    @Override
    public Outcome responseFilter(Session session, Rewrite ctx) {
        ResponseHead response = session.response();
        if (!rewritable(response)) {
            return Outcome.proceed();
        }
        ctx.replace = new StreamingReplace(find, replacement);
        if (find.length != replacement.length) {
            response.setBodyLength(-1); // the length will change: the runtime sends the body chunked
        }
        response.headers().remove("ETag"); // a different body is no longer the tagged representation
        response.headers().remove("Content-MD5");
        return Outcome.proceed();
    }

    @Override
    public Outcome responseBodyFilter(Session session, Rewrite ctx, BodyChunk chunk) {
        if (ctx.replace != null) {
            chunk.replace(ctx.replace.next(chunk.bytes(), chunk.last()));
        }
        return Outcome.proceed();
    }

    private boolean rewritable(ResponseHead response) {
        if (response.bodyLength() == 0) {
            return false;
        }
        String encoding = response.headers().get("Content-Encoding");
        if (encoding != null && !encoding.equalsIgnoreCase("identity")) {
            return false; // compressed bytes: a text search would corrupt them
        }
        String type = response.headers().get("Content-Type");
        if (type == null) {
            return false;
        }
        String t = type.toLowerCase(Locale.ROOT);
        for (String prefix : types) {
            if (t.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
