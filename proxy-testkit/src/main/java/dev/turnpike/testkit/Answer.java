package dev.turnpike.testkit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link TestBackend} does with one request: answer it (status, headers, a body sent whole,
 * chunked or slowly, after a delay), reset the connection, or say nothing at all. Immutable: every
 * method returns a new answer, so one answer can be given for many requests.
 *
 * <pre>{@code
 * Answer.ok("hello")                                     // 200, Content-Length, text/plain
 * Answer.status(503).header("Retry-After", "1")          // no body
 * Answer.ok("late").delayHead(Duration.ofMillis(500))    // waits before the status line
 * Answer.ok("").chunked("a", "b", "c")                   // Transfer-Encoding: chunked, one write each
 * Answer.ok(bytes).slowBody(10, Duration.ofMillis(50))   // 10 bytes, then a pause, and so on
 * Answer.ok(bytes).resetAfter(100)                       // head and 100 body bytes, then a TCP RST
 * Answer.reset()  Answer.silence()
 * }</pre>
 *
 * <p>Header names are written as given; {@code Content-Length} (or {@code Transfer-Encoding:
 * chunked}) is added unless the answer sets one itself.
 */
public final class Answer {

    /** What the backend does after reading the request. */
    public enum Kind {
        /** Writes a response. */
        RESPOND,
        /** Closes the connection with a TCP reset (SO_LINGER 0), writing nothing. */
        RESET,
        /** Keeps the connection open and writes nothing until the client or the backend closes it. */
        SILENCE
    }

    private final Kind kind;
    private final int status;
    private final List<String[]> headers;
    private final byte[] body;
    private final List<byte[]> chunks;
    private final Duration headDelay;
    private final int piece;
    private final Duration pieceInterval;
    private final long resetAfter;

    private Answer(Kind kind, int status, List<String[]> headers, byte[] body, List<byte[]> chunks, Duration headDelay,
            int piece, Duration pieceInterval, long resetAfter) {
        this.kind = kind;
        this.status = status;
        this.headers = List.copyOf(headers);
        this.body = body;
        this.chunks = chunks == null ? null : List.copyOf(chunks);
        this.headDelay = headDelay;
        this.piece = piece;
        this.pieceInterval = pieceInterval;
        this.resetAfter = resetAfter;
    }

    /** A response with {@code status} and no body. */
    public static Answer status(int status) {
        if (status < 100 || status > 999) {
            throw new IllegalArgumentException("status " + status + " is not three digits");
        }
        return new Answer(Kind.RESPOND, status, List.of(), new byte[0], null, Duration.ZERO, 0, Duration.ZERO, -1);
    }

    /** 200 with {@code body} as UTF-8 and {@code Content-Type: text/plain; charset=utf-8}. */
    public static Answer ok(String body) {
        return status(200).header("Content-Type", "text/plain; charset=utf-8").body(body);
    }

    /** 200 with {@code body} and {@code Content-Type: application/octet-stream}. */
    public static Answer ok(byte[] body) {
        return status(200).header("Content-Type", "application/octet-stream").body(body);
    }

    /** Resets the connection as soon as the request has been read. */
    public static Answer reset() {
        return new Answer(Kind.RESET, 0, List.of(), new byte[0], null, Duration.ZERO, 0, Duration.ZERO, -1);
    }

    /** Reads the request and never answers (the connection stays open). */
    public static Answer silence() {
        return new Answer(Kind.SILENCE, 0, List.of(), new byte[0], null, Duration.ZERO, 0, Duration.ZERO, -1);
    }

    /** Adds a header line (several calls with one name give several lines). */
    public Answer header(String name, String value) {
        List<String[]> h = new ArrayList<>(headers);
        h.add(new String[] {Objects.requireNonNull(name), Objects.requireNonNull(value)});
        return new Answer(kind, status, h, body, chunks, headDelay, piece, pieceInterval, resetAfter);
    }

    /** The body, UTF-8 (replaces any body or chunks set before). */
    public Answer body(String text) {
        return body(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The body, sent with a Content-Length (replaces any body or chunks set before). */
    public Answer body(byte[] bytes) {
        return new Answer(kind, status, headers, bytes.clone(), null, headDelay, piece, pieceInterval, resetAfter);
    }

    /** A chunked body: each string (UTF-8) one chunk, written and flushed on its own. */
    public Answer chunked(String... parts) {
        List<byte[]> c = new ArrayList<>();
        for (String p : parts) {
            c.add(p.getBytes(StandardCharsets.UTF_8));
        }
        return new Answer(kind, status, headers, new byte[0], c, headDelay, piece, pieceInterval, resetAfter);
    }

    /** Waits {@code delay} after reading the request before writing the status line. */
    public Answer delayHead(Duration delay) {
        return new Answer(kind, status, headers, body, chunks, delay, piece, pieceInterval, resetAfter);
    }

    /**
     * Writes the body {@code bytes} at a time with {@code interval} between writes (for a chunked
     * body: {@code interval} between chunks, {@code bytes} unused).
     */
    public Answer slowBody(int bytes, Duration interval) {
        if (bytes < 1) {
            throw new IllegalArgumentException("bytes per write must be at least 1");
        }
        return new Answer(kind, status, headers, body, chunks, headDelay, bytes, interval, resetAfter);
    }

    /** Writes the head and the first {@code bytes} body bytes (of the wire form), then resets the connection. */
    public Answer resetAfter(long bytes) {
        return new Answer(kind, status, headers, body, chunks, headDelay, piece, pieceInterval, bytes);
    }

    public Kind kind() {
        return kind;
    }

    int statusCode() {
        return status;
    }

    List<String[]> headers() {
        return headers;
    }

    byte[] body() {
        return body;
    }

    /** The chunks of a chunked body, or {@code null} for a body with a Content-Length. */
    List<byte[]> chunks() {
        return chunks;
    }

    Duration headDelay() {
        return headDelay;
    }

    int piece() {
        return piece;
    }

    Duration pieceInterval() {
        return pieceInterval;
    }

    /** Body bytes to write before a reset, or -1 for none. */
    long resetAfterBytes() {
        return resetAfter;
    }

    @Override
    public String toString() {
        return kind == Kind.RESPOND ? "Answer[" + status + ", " + (chunks != null ? chunks.size() + " chunks" : body.length + " bytes") + "]"
                : "Answer[" + kind + "]";
    }
}
