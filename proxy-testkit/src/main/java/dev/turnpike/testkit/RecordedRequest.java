package dev.turnpike.testkit;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One request as a {@link TestBackend} read it off the wire, body whole (de-chunked). Immutable.
 *
 * @param method  the request method
 * @param target  the request target as sent (path and query)
 * @param headers header name (case as received) → values in order; look up with {@link #header} or
 *                {@link #headers(String)}, which ignore case
 * @param body    the body bytes (empty when there was none)
 */
public record RecordedRequest(String method, String target, Map<String, List<String>> headers, byte[] body) {

    public RecordedRequest {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        headers.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        headers = Collections.unmodifiableMap(copy);
        body = body.clone();
    }

    /** The target without its query. */
    public String path() {
        int q = target.indexOf('?');
        return q < 0 ? target : target.substring(0, q);
    }

    /** Every value of header {@code name} (any case), in order; empty when absent. */
    public List<String> headers(String name) {
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return List.of();
    }

    /** The first value of header {@code name} (any case), or {@code null}. */
    public String header(String name) {
        List<String> v = headers(name);
        return v.isEmpty() ? null : v.get(0);
    }

    /** The body as UTF-8. */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    @Override
    public String toString() {
        return method + " " + target + " " + headers + " (" + body.length + " body bytes)";
    }
}
