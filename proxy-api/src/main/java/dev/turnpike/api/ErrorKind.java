package dev.turnpike.api;

/**
 * What went wrong with a request, as one closed set the whole runtime speaks: the access log, the
 * metrics, the failure hooks and {@link ProxyPlugin#failToProxy} all see the same kind.
 *
 * <p>Each kind says whose fault it is ({@link #side()}) and which status the runtime answers with
 * when nothing of the response has reached the client yet ({@link #status()}). A failure on the
 * {@link Side#CLIENT client's} side never reaches the failure hooks and never counts against a
 * backend.
 */
public enum ErrorKind {
    /** The client closed its connection (or it broke) before the response was complete. */
    CLIENT_ABORT(Side.CLIENT, 0),
    /** The client was too slow: it sent no body bytes for {@code server.request_body_timeout}, or took no bytes for {@code server.send_timeout}. */
    CLIENT_TIMEOUT(Side.CLIENT, 408),
    /** The request cannot be proxied as sent: malformed, ambiguous, too large, or an unsupported method or expectation. */
    BAD_REQUEST(Side.CLIENT, 400),
    /** No plugin chose a backend in {@code upstream_peer}. */
    NO_PEER(Side.PROXY, 502),
    /** The backend refused the connection, or its address could not be reached. */
    CONNECT_REFUSED(Side.UPSTREAM, 502),
    /** Opening the connection took longer than the connect timeout. */
    CONNECT_TIMEOUT(Side.UPSTREAM, 504),
    /** The backend's host name could not be resolved. */
    UNRESOLVABLE(Side.UPSTREAM, 502),
    /** The TLS handshake with the backend failed. */
    TLS(Side.UPSTREAM, 502),
    /** The backend closed or reset the connection before its response was complete. */
    UPSTREAM_RESET(Side.UPSTREAM, 502),
    /** The backend was silent for its read timeout, took no bytes for its write timeout, or used up {@code upstream.total_timeout}. */
    UPSTREAM_TIMEOUT(Side.UPSTREAM, 504),
    /** The backend sent something that is not a valid HTTP/1.1 response. */
    INVALID_RESPONSE(Side.UPSTREAM, 502),
    /** A plugin threw, returned what its phase does not allow, failed its stage, or did not complete it within {@code plugins.phase_timeout}. */
    PLUGIN(Side.PLUGIN, 500),
    /** A fault of the proxy itself. */
    INTERNAL(Side.PROXY, 500);

    /** Whose fault a failure is. */
    public enum Side {
        /** The client: counted as the client's, never against a backend. */
        CLIENT,
        /** The backend of the attempt: the failure hooks are told, passive health may count it. */
        UPSTREAM,
        /** A plugin of the chain. */
        PLUGIN,
        /** The proxy's configuration or code. */
        PROXY
    }

    private final Side side;
    private final int status;
    private final String label;

    ErrorKind(Side side, int status) {
        this.side = side;
        this.status = status;
        this.label = name().toLowerCase(java.util.Locale.ROOT);
    }

    public Side side() {
        return side;
    }

    /**
     * The status the runtime answers with when no response has started: 400/408 for the client's
     * faults, 502 for a backend that failed, 504 for one that was too slow, 500 for plugins and the
     * proxy. 0 for {@link #CLIENT_ABORT}: there is no one to answer.
     */
    public int status() {
        return status;
    }

    /** The kind as logs and metric labels spell it: {@code upstream_timeout}. */
    public String label() {
        return label;
    }

    /** Whether the failure happened while connecting, before anything of the request was sent. */
    public boolean beforeSending() {
        return this == CONNECT_REFUSED || this == CONNECT_TIMEOUT || this == UNRESOLVABLE || this == TLS;
    }
}
