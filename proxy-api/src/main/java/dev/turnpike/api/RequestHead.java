package dev.turnpike.api;

/**
 * The request line and headers of the request being proxied, as a live view.
 *
 * <p>Editable in {@code request_filter}, {@code upstream_peer} and {@code upstream_request_filter}:
 * what it holds after {@code upstream_request_filter} is what goes upstream. Hop-by-hop headers
 * (Connection and the headers it names, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade,
 * Proxy-Connection) are already removed, and framing headers are the runtime's: it recomputes them.
 * From {@code response_filter} on, treat it as read-only.
 */
public interface RequestHead {

    /** The method, e.g. {@code GET}. */
    String method();

    void setMethod(String method);

    /** The request target as received: origin form {@code /path?query} for an ordinary request. */
    String uri();

    /** Replaces the request target sent upstream ({@code /path?query}). */
    void setUri(String uri);

    /** The path part of {@link #uri()} (before {@code ?}), not decoded. */
    String path();

    /** The query part of {@link #uri()} (after {@code ?}, not decoded), or {@code null}. */
    String query();

    /** The client's protocol version, {@code HTTP/1.1} or {@code HTTP/1.0}. */
    String version();

    /** The Host header, or {@code null} when the client sent none (HTTP/1.0). */
    default String host() {
        return headers().get("Host");
    }

    Headers headers();
}
