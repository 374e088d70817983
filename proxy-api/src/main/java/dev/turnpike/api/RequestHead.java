package dev.turnpike.api;

/**
 * The request line and headers of a request, as a live view: the client's
 * ({@link Session#request()}) or the one that goes to the backend ({@link Session#upstreamRequest()}).
 *
 * <p>The client's head is editable in {@code request_filter} and the first {@code upstream_peer};
 * the upstream head in {@code upstream_request_filter}. Outside those an edit throws
 * {@link IllegalStateException}. Hop-by-hop headers (Connection and the headers it names,
 * Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-Connection) are already removed, and
 * the framing headers ({@code Content-Length}, {@code Transfer-Encoding}) are the runtime's: edits
 * to them are ignored. A body whose length a {@code request_body_filter} changes is declared with
 * {@link #setBodyLength}.
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

    /**
     * The length of the body as it will be framed: 0 for none, the {@code Content-Length}, or -1
     * when it is sent chunked (its length is not known ahead).
     */
    long bodyLength();

    /**
     * Upstream head, in {@code upstream_request_filter} only: declares that the
     * {@code request_body_filter}s will change the body's length. {@code -1} sends it chunked;
     * a length sends that {@code Content-Length}. A body framed by a length (this one, or the
     * client's when none is declared) that comes out longer or shorter fails the request and closes
     * the backend's connection: the backend would misread the stream. Not for a request without a
     * body. Declare it again on every attempt: each starts from the client's head.
     *
     * @throws IllegalStateException on the client's head, or outside the phase
     */
    void setBodyLength(long length);
}
