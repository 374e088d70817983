package dev.turnpike.api;

/**
 * The status line and headers of the response that goes to the client, as a live view.
 *
 * <p>In {@code response_filter} this is the backend's response, editable (hop-by-hop headers are
 * already removed; the framing headers are the runtime's, see {@link #setBodyLength}). Afterwards,
 * and in {@code logging}, it is what was sent, read-only (an edit throws
 * {@link IllegalStateException}): the backend's response, a plugin's {@link Response}, or the
 * runtime's error response.
 */
public interface ResponseHead {

    int status();

    /**
     * Changes the status: a final one, 200..599 (the reason phrase follows the code). The framing
     * follows too: a 204 or 304 goes without a body, and a 204 or 304 from the backend made another
     * status goes with an empty one.
     */
    void setStatus(int status);

    Headers headers();

    /**
     * The length of the body as it will be framed to the client: 0 for none, the
     * {@code Content-Length}, or -1 when it goes chunked (or, to an HTTP/1.0 client, ends with the
     * connection).
     */
    long bodyLength();

    /**
     * In {@code response_filter} only: declares that the {@code response_body_filter}s will change
     * the body's length. {@code -1} sends it chunked (to HTTP/1.0 clients: until the connection
     * closes); a length sends that {@code Content-Length}, and a body that comes out longer or
     * shorter is cut (the connection closes: the client could not tell where it ends). Ignored for
     * a response that has no body (HEAD, 204, 304).
     *
     * @throws IllegalStateException outside {@code response_filter}
     */
    void setBodyLength(long length);
}
