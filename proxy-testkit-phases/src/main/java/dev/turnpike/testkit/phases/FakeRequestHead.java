package dev.turnpike.testkit.phases;

import dev.turnpike.api.RequestHead;
import dev.turnpike.api.MessageSyntax;
import java.util.function.Supplier;

/**
 * A {@link RequestHead} in memory: the client's ({@link FakeSession#request()}) or one attempt's
 * upstream head ({@link FakeSession#upstreamRequest()}), with the runtime's rules. A method must be
 * an HTTP token and a target hold no spaces or control characters ({@link IllegalArgumentException});
 * an edit outside the phases that allow it throws {@link IllegalStateException}; only an upstream
 * head, in {@code upstream_request_filter}, of a request that has a body, takes
 * {@link #setBodyLength}. An upstream head is always {@code HTTP/1.1}, as the runtime sends it.
 *
 * <p>Not thread-safe: confined to the test's thread, as the runtime's to the event loop.
 */
public final class FakeRequestHead implements RequestHead {

    /** Marks a body length no plugin declared. */
    private static final long UNDECLARED = Long.MIN_VALUE;

    private final boolean upstream;
    private final Supplier<String> whyReadOnly;
    private final FakeHeaders headers;
    private String method;
    private String uri;
    private String version;
    private long bodyLength;
    private long declaredLength = UNDECLARED;

    private FakeRequestHead(boolean upstream, String method, String uri, String version, long bodyLength,
                            FakeHeaders headers, Supplier<String> whyReadOnly) {
        this.upstream = upstream;
        this.method = MessageSyntax.checkMethod(method);
        this.uri = MessageSyntax.checkTarget(uri);
        this.version = version;
        this.bodyLength = bodyLength;
        this.headers = headers;
        this.whyReadOnly = whyReadOnly;
    }

    /** The client's head, editable while {@code whyReadOnly} answers {@code null}. */
    static FakeRequestHead client(String method, String uri, Supplier<String> whyReadOnly) {
        return new FakeRequestHead(false, method, uri, "HTTP/1.1", 0, new FakeHeaders(whyReadOnly), whyReadOnly);
    }

    /** A new attempt's head, made from the client's as it is now: edits to it never reach the client's. */
    static FakeRequestHead upstreamOf(FakeRequestHead client, Supplier<String> whyReadOnly) {
        return new FakeRequestHead(true, client.method, client.uri, "HTTP/1.1", client.bodyLength,
                client.headers.copy(whyReadOnly), whyReadOnly);
    }

    /** Whether this is an attempt's head (what goes to the backend) rather than the client's. */
    public boolean isUpstream() {
        return upstream;
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public void setMethod(String method) {
        checkEditable();
        this.method = MessageSyntax.checkMethod(method);
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public void setUri(String uri) {
        checkEditable();
        this.uri = MessageSyntax.checkTarget(uri);
    }

    @Override
    public String path() {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    @Override
    public String query() {
        int q = uri.indexOf('?');
        return q < 0 ? null : uri.substring(q + 1);
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public FakeHeaders headers() {
        return headers;
    }

    @Override
    public long bodyLength() {
        return declaredLength != UNDECLARED ? declaredLength : bodyLength;
    }

    /** The length a plugin declared with {@link #setBodyLength}, or empty when none did. */
    public java.util.OptionalLong declaredBodyLength() {
        return declaredLength == UNDECLARED ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(declaredLength);
    }

    @Override
    public void setBodyLength(long length) {
        if (!upstream) {
            throw new IllegalStateException("the client's request head says what the client sent;"
                    + " declare a changed body length on session.upstreamRequest() in upstream_request_filter");
        }
        checkEditable();
        if (bodyLength == 0) {
            throw new IllegalStateException("the request has no body whose length could change");
        }
        if (length < -1) {
            throw new IllegalArgumentException("a body length is -1 (unknown: chunked) or at least 0, not " + length);
        }
        declaredLength = length;
    }

    // ---- set up by the test, through FakeSession, before any phase runs ----

    void version(String version) {
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            throw new IllegalArgumentException("the runtime serves HTTP/1.1 and HTTP/1.0, not " + version);
        }
        this.version = version;
    }

    void initialMethod(String method) {
        this.method = MessageSyntax.checkMethod(method);
    }

    void initialUri(String uri) {
        this.uri = MessageSyntax.checkTarget(uri);
    }

    void initialBodyLength(long length) {
        if (length < -1) {
            throw new IllegalArgumentException("a body length is 0 (none), a Content-Length, or -1 (chunked), not " + length);
        }
        this.bodyLength = length;
    }

    private void checkEditable() {
        Editable.check(whyReadOnly);
    }

    @Override
    public String toString() {
        return method + " " + uri;
    }
}
