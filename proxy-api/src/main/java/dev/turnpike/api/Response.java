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
 * {@code Content-Length} or hop-by-hop header given here is ignored. A response has at most one
 * {@code Content-Type}: see {@link Builder#contentType(String)}. Bodies are for short answers
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

    /**
     * Builds a {@link Response}; not thread-safe (build once, then share the immutable result).
     *
     * <p><b>Content-Type.</b> The built response carries exactly one {@code Content-Type}, or none:
     * the last one given by {@link #contentType(String)}, by a {@code body} overload with a type, or
     * by {@link #header(String, String) header("Content-Type", ...)} (any case), in whichever order
     * they come; failing all of these, {@link #body(String)} gives {@code text/plain; charset=utf-8}
     * and a byte body gives none. It is sent after the other headers.
     */
    public static final class Builder {
        private static final String CONTENT_TYPE = "Content-Type";
        private static final String TEXT_PLAIN = "text/plain; charset=utf-8";

        private final int status;
        private final List<Map.Entry<String, String>> headers = new ArrayList<>();
        private byte[] body = new byte[0];
        /** Set by the plugin, whatever the body; wins over {@link #textDefault}. */
        private String contentType;
        /** Whether the body was given as text, so that text/plain applies when no type was set. */
        private boolean textDefault;

        private Builder(int status) {
            if (status < 200 || status > 599) {
                throw new IllegalArgumentException("a plugin's response status must be 200..599, not " + status);
            }
            this.status = status;
        }

        /**
         * Adds a header (a second one with the same name is added too, not replaced), except
         * {@code Content-Type}, which sets the one content type as {@link #contentType(String)} does.
         *
         * @throws IllegalArgumentException for an empty name or a value with CR, LF or NUL, which could
         *                                  split the response: checked once here, since a built
         *                                  response is immutable and may be sent many times
         */
        public Builder header(String name, String value) {
            Objects.requireNonNull(name, "name");
            checkValue(name, value);
            if (name.isEmpty()) {
                throw new IllegalArgumentException("empty header name");
            }
            if (name.equalsIgnoreCase(CONTENT_TYPE)) {
                contentType = value;
            } else {
                headers.add(Map.entry(name, value));
            }
            return this;
        }

        /**
         * The response's one {@code Content-Type} (for instance {@code application/json}), replacing
         * any given before, by this method, {@link #header} or a {@code body} overload, and the
         * {@code text/plain} default of {@link #body(String)}.
         *
         * @throws IllegalArgumentException for an empty value or one with CR, LF or NUL
         */
        public Builder contentType(String type) {
            checkValue(CONTENT_TYPE, type);
            if (type.isBlank()) {
                throw new IllegalArgumentException("empty Content-Type");
            }
            contentType = type;
            return this;
        }

        /** The body as given; sets no Content-Type (one set before or after applies). */
        public Builder body(byte[] bytes) {
            if (bytes.length > MAX_BODY_BYTES) {
                throw new IllegalArgumentException("response body of " + bytes.length + " bytes exceeds " + MAX_BODY_BYTES);
            }
            this.body = bytes.clone();
            this.textDefault = false;
            return this;
        }

        /** The body as given, with this Content-Type: {@code body(bytes).contentType(type)}. */
        public Builder body(byte[] bytes, String type) {
            return body(bytes).contentType(type);
        }

        /**
         * The body as UTF-8 text; {@code Content-Type: text/plain; charset=utf-8} unless a type is set
         * (before or after) with {@link #contentType(String)} or {@link #header}.
         */
        public Builder body(String text) {
            body(text.getBytes(StandardCharsets.UTF_8));
            this.textDefault = true;
            return this;
        }

        /**
         * The body as UTF-8 text with this Content-Type, for instance
         * {@code body("{\"error\":\"denied\"}", "application/json")}. Name the charset in the type if
         * a client needs it spelt out ({@code text/html; charset=utf-8}).
         */
        public Builder body(String text, String type) {
            return body(text).contentType(type);
        }

        private static void checkValue(String name, String value) {
            Objects.requireNonNull(value, "value");
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '\r' || c == '\n' || c == 0) {
                    throw new IllegalArgumentException("header " + name + ": value contains CR, LF or NUL");
                }
            }
        }

        /** The response as built so far; the builder may go on to build others. */
        public Response build() {
            List<Map.Entry<String, String>> all = new ArrayList<>(headers);
            String type = contentType != null ? contentType : textDefault ? TEXT_PLAIN : null;
            if (type != null) {
                all.add(Map.entry(CONTENT_TYPE, type));
            }
            return new Response(status, Collections.unmodifiableList(all), body);
        }
    }
}
