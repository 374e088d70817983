package com.example.redact;

import dev.turnpike.api.BodyChunk;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.ResponseHead;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import java.util.List;
import java.util.Locale;
import org.pf4j.Extension;

/**
 * Redacts the values of configured keys in JSON and NDJSON responses as they stream: a backend
 * that leaks {@code "password"}, {@code "ssn"} or {@code "access_token"} into its answers (or its
 * event stream) has them replaced before they reach the client, at any depth, however the body is
 * cut into chunks, and without the body ever being held in memory.
 *
 * <pre>
 * - id: json-redact
 *   config:
 *     keys: [password, access_token, ssn]   # required: member names whose values are redacted
 *     replacement: "[redacted]"              # what a value becomes, as a JSON string (default)
 *     ignore_case: true                      # Password matches password (default true)
 *     content_types: [application/json, application/x-ndjson, application/ndjson, +json]   # default
 * </pre>
 *
 * <p>{@code response_filter} decides per response: an uncompressed body whose media type is one of
 * {@code content_types} (an entry starting with {@code +} matches that suffix, as in
 * {@code application/problem+json}); it declares the body's length unknown (the runtime sends it
 * chunked) and drops validators of the original representation. {@code response_body_filter} then
 * runs each chunk through that response's {@link JsonRedactor}. A compressed body is left alone:
 * its bytes are not JSON text (put a decompressing step before this one, or have the backend
 * not compress for the proxy).
 */
@Extension
public class JsonRedact implements ProxyPlugin<JsonRedact.Redaction> {

    /** One response's redaction, or none: {@link #redactor} is null for a response left alone. */
    public static final class Redaction {
        JsonRedactor redactor;
    }

    // Written by start() on the management thread before any request, then only read.
    private volatile RedactRules rules;
    private volatile List<String> types;

    @Override
    public void start(PluginContext context) {
        ConfigSection c = context.config();
        List<String> keys = c.strings("keys");
        if (keys.isEmpty()) {
            throw c.invalid("keys", "required: at least one key whose values are redacted");
        }
        for (String k : keys) {
            if (k.isEmpty() || k.chars().anyMatch(ch -> ch == '"' || ch == '\\' || ch < 0x20)) {
                // Such names appear escaped on the wire, where they are compared as written.
                throw c.invalid("keys", "'" + k + "' must be non-empty, without quotes, backslashes or control characters");
            }
        }
        String replacement = c.string("replacement", "[redacted]");
        boolean ignoreCase = c.bool("ignore_case", true);
        List<String> t = c.has("content_types") ? c.strings("content_types")
                : List.of("application/json", "application/x-ndjson", "application/ndjson", "+json");
        if (t.isEmpty()) {
            throw c.invalid("content_types", "must name at least one media type (leave it out for the JSON types)");
        }
        types = t.stream().map(s -> s.trim().toLowerCase(Locale.ROOT)).toList();
        rules = new RedactRules(keys, ignoreCase, replacement);
    }

    @Override
    public Redaction newContext(Session session) {
        return new Redaction();
    }

    @Override
    public Outcome responseFilter(Session session, Redaction ctx) {
        ResponseHead response = session.response();
        if (!redactable(response)) {
            return Outcome.proceed();
        }
        ctx.redactor = new JsonRedactor(rules);
        response.setBodyLength(-1); // redaction changes the length: the runtime sends the body chunked
        response.headers().remove("ETag"); // a different body is no longer the tagged representation
        response.headers().remove("Content-MD5");
        response.headers().remove("Digest");
        return Outcome.proceed();
    }

    @Override
    public Outcome responseBodyFilter(Session session, Redaction ctx, BodyChunk chunk) {
        if (ctx.redactor != null) {
            chunk.replace(ctx.redactor.next(chunk.bytes()));
        }
        return Outcome.proceed();
    }

    private boolean redactable(ResponseHead response) {
        if (response.bodyLength() == 0) {
            return false;
        }
        String encoding = response.headers().get("Content-Encoding");
        if (encoding != null && !encoding.equalsIgnoreCase("identity")) {
            return false;
        }
        String type = response.headers().get("Content-Type");
        if (type == null) {
            return false;
        }
        int semicolon = type.indexOf(';');
        String media = (semicolon < 0 ? type : type.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
        for (String t : types) {
            if (t.startsWith("+") ? media.endsWith(t) : media.equals(t)) {
                return true;
            }
        }
        return false;
    }
}
