package dev.turnpike.testkit.phases;

import dev.turnpike.api.Response;
import dev.turnpike.api.ResponseHead;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A {@link ResponseHead} in memory, with the runtime's rules: a backend's response is editable in
 * {@code response_filter} only (elsewhere an edit throws {@link IllegalStateException}); a status is
 * a final one, 200..599 ({@link IllegalArgumentException} otherwise); a response a plugin or the
 * runtime wrote is read-only throughout.
 *
 * <p>Not thread-safe: confined to the test's thread, as the runtime's to the event loop.
 */
public final class FakeResponseHead implements ResponseHead {

    private static final long UNDECLARED = Long.MIN_VALUE;

    private final FakeHeaders headers;
    private final Supplier<String> whyReadOnly;
    private final boolean fromBackend;
    private final long framedLength;
    private int status;
    private long declaredLength = UNDECLARED;

    private FakeResponseHead(int status, long framedLength, boolean fromBackend, Supplier<String> whyReadOnly) {
        this.status = checkStatus(status);
        this.framedLength = framedLength;
        this.fromBackend = fromBackend;
        this.whyReadOnly = whyReadOnly;
        this.headers = new FakeHeaders(whyReadOnly);
    }

    /** A backend's response head; {@code framedLength} as the runtime would frame it (-1: chunked). */
    static FakeResponseHead fromBackend(int status, long framedLength, Supplier<String> whyReadOnly, String... headers) {
        FakeResponseHead h = new FakeResponseHead(status, framedLength, true, whyReadOnly);
        h.headers.addAll(headers);
        return h;
    }

    /** What went to the client for a plugin's (or the runtime's) {@link Response}: read-only. */
    static FakeResponseHead of(Response response) {
        FakeResponseHead h = new FakeResponseHead(response.status(), response.bodyLength(), false,
                () -> "a response written by a plugin or the runtime is read-only");
        for (Map.Entry<String, String> e : response.headers()) {
            h.headers.append(e.getKey(), e.getValue());
        }
        return h;
    }

    /** Whether the backend sent this head (rather than a plugin's {@link Response} or the runtime). */
    public boolean fromBackend() {
        return fromBackend;
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public void setStatus(int status) {
        checkEditable();
        this.status = checkStatus(status);
    }

    @Override
    public FakeHeaders headers() {
        return headers;
    }

    @Override
    public long bodyLength() {
        return declaredLength != UNDECLARED ? declaredLength : framedLength;
    }

    @Override
    public void setBodyLength(long length) {
        checkEditable();
        if (length < -1) {
            throw new IllegalArgumentException("a body length is -1 (unknown: chunked) or at least 0, not " + length);
        }
        declaredLength = length;
    }

    private void checkEditable() {
        Editable.check(whyReadOnly);
    }

    private static int checkStatus(int status) {
        if (status < 200 || status > 599) {
            throw new IllegalArgumentException("a final status is 200..599, not " + status);
        }
        return status;
    }

    @Override
    public String toString() {
        return status + " " + headers;
    }
}
