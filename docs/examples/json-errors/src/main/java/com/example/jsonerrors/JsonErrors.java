package com.example.jsonerrors;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.pf4j.Extension;

/**
 * Answers the proxy's own errors with JSON instead of its plain-text pages, for API clients that
 * parse every answer: a backend that refused, timed out or reset, no backend chosen, a plugin that
 * failed, a malformed request. The status stays the runtime's ({@link ProxyError#status()}).
 *
 * <pre>
 * - id: json-errors
 *   config:
 *     format: simple            # simple (application/json, the default) or problem (RFC 9457)
 *     path_prefixes: [/api/]    # only these paths get JSON (default: every path)
 *     messages:                 # public sentences by error kind, instead of the defaults
 *       upstream_timeout: "The order service is slow right now; try again."
 * </pre>
 *
 * <p>Runs in {@code fail_to_proxy} only: on the event loop, synchronously, after the request failed
 * and before any of its response went out. The first plugin of the chain that returns a page wins,
 * so put this one where it should take precedence over other error-page plugins. A backend's own
 * 5xx response is not an error of the proxy and is passed through untouched.
 */
@Extension
public class JsonErrors implements ProxyPlugin<Void> {

    // Written by start() on the management thread before any request, then only read.
    private volatile ErrorPage page;
    private volatile List<String> prefixes;

    @Override
    public void start(PluginContext context) {
        ConfigSection c = context.config();
        String format = c.oneOf("format", "simple", "simple", "problem");
        prefixes = c.has("path_prefixes") ? c.strings("path_prefixes") : List.of("/");
        if (prefixes.isEmpty()) {
            throw c.invalid("path_prefixes", "must name at least one prefix (leave it out for every path)");
        }
        for (String p : prefixes) {
            if (!p.startsWith("/")) {
                throw c.invalid("path_prefixes", "'" + p + "' is not a path (it starts with /)");
            }
        }
        page = new ErrorPage(format.equals("problem") ? ErrorPage.Format.PROBLEM : ErrorPage.Format.SIMPLE,
                messages(c.section("messages")));
    }

    /** The {@code messages:} overrides; a key that is no error kind is refused, naming the kinds. */
    private static Map<ErrorKind, String> messages(ConfigSection m) {
        Map<ErrorKind, String> out = new EnumMap<>(ErrorKind.class);
        for (String key : m.keys()) {
            ErrorKind kind = kindOf(key);
            if (kind == null) {
                StringBuilder known = new StringBuilder();
                for (ErrorKind k : ErrorKind.values()) {
                    known.append(known.length() == 0 ? "" : ", ").append(k.label());
                }
                throw m.invalid(key, "not an error kind (one of " + known + ")");
            }
            out.put(kind, m.string(key));
        }
        return out;
    }

    private static ErrorKind kindOf(String label) {
        for (ErrorKind k : ErrorKind.values()) {
            if (k.label().equals(label)) {
                return k;
            }
        }
        return null;
    }

    @Override
    public Response failToProxy(Session session, Void ctx, ProxyError error) {
        int status = error.status();
        if (status < 400 || !forThisPath(session.request().path())) {
            return null; // not ours: the next plugin's page, or the runtime's text
        }
        // The body with its type: the builder sends exactly one Content-Type.
        return Response.status(status)
                .header("Cache-Control", "no-store")
                .body(page.render(status, error.kind(), session.requestId()), page.contentType())
                .build();
    }

    private boolean forThisPath(String path) {
        for (String p : prefixes) {
            if (path.startsWith(p)) {
                return true;
            }
        }
        return false;
    }
}
