package dev.turnpike.api;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A complete response that a plugin answers with on its own ({@link Outcome#respond}): status,
 * headers, and a small body held in memory. Immutable and thread-safe, so a plugin may build a
 * fixed response once and return it for every request.
 *
 * <p>The runtime sets {@code Content-Length} and the connection headers itself; a
 * {@code Content-Length} or hop-by-hop header given here is ignored. Bodies are for short answers
 * (an error page, a JSON object): at most {@link #MAX_BODY_BYTES}.
 */
public final class Response {

    /** The largest body a plugin may answer with: this is for small answers, not content. */
    public static final int MAX_BODY_BYTES = 1 << 20;

    private final int status;
    private final List<Map.Entry<String, String>> headers;
    private final byte[] body;

    private Response(int status, List<Map.Entry<String, String>> headers, byte[] body) {
        this.status = status;
        this.headers = headers;
        this.body = body;
    }

    /** Starts a response with this status (200 to 599). */
    public static Builder status(int status) {
        return new Builder(status);
    }

    public int status() {
        return status;
    }

    /** The headers in the order they were added; names as given. */
    public List<Map.Entry<String, String>> headers() {
        return headers;
    }

    /** The body's length in bytes. */
    public int bodyLength() {
        return body.length;
    }

    /** A copy of the body. */
    public byte[] body() {
        return body.clone();
    }

    /** The body as a read-only buffer over the same bytes: no copy per request. */
    public ByteBuffer bodyBuffer() {
        return ByteBuffer.wrap(body).asReadOnlyBuffer();
    }

    /** Builds a {@link Response}; not thread-safe. */
    public static final class Builder {
        private final int status;
        private final List<Map.Entry<String, String>> headers = new ArrayList<>();
        private byte[] body = new byte[0];

        private Builder(int status) {
            if (status < 200 || status > 599) {
                throw new IllegalArgumentException("a plugin's response status must be 200..599, not " + status);
            }
            this.status = status;
        }

        /**
         * Adds a header (a second one with the same name is added too, not replaced).
         *
         * @throws IllegalArgumentException for an empty name or a value with CR, LF or NUL, which could
         *                                  split the response: checked once here, since a built
         *                                  response is immutable and may be sent many times
         */
        public Builder header(String name, String value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("empty header name");
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '\r' || c == '\n' || c == 0) {
                    throw new IllegalArgumentException("header " + name + ": value contains CR, LF or NUL");
                }
            }
            headers.add(Map.entry(name, value));
            return this;
        }

        /** The body as given; also sets no Content-Type. */
        public Builder body(byte[] bytes) {
            if (bytes.length > MAX_BODY_BYTES) {
                throw new IllegalArgumentException("response body of " + bytes.length + " bytes exceeds " + MAX_BODY_BYTES);
            }
            this.body = bytes.clone();
            return this;
        }

        /** The body as UTF-8 text, with {@code Content-Type: text/plain; charset=utf-8}. */
        public Builder body(String text) {
            header("Content-Type", "text/plain; charset=utf-8");
            return body(text.getBytes(StandardCharsets.UTF_8));
        }

        public Response build() {
            return new Response(status, Collections.unmodifiableList(new ArrayList<>(headers)), body);
        }
    }
}
