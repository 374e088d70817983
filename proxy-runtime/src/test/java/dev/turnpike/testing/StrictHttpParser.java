package dev.turnpike.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small, strict reference parser for HTTP/1.1 messages over bytes (RFC 9110, RFC 9112): what the
 * wire conformance tests call "strict". It is the yardstick, not a server: it reads everything it
 * is given, as many messages as the bytes hold (pipelining), and says where the first error is.
 * It never repairs, guesses or skips anything but what the RFC says a recipient should skip.
 *
 * <p>The rules, beyond the RFC grammar itself (each one is a deliberate choice, shared by the tests):
 * <ul>
 *   <li>Lines end in CRLF only. A bare CR or a bare LF anywhere in a head, a chunk line or a trailer
 *       section is an error, never a line end.</li>
 *   <li>Request line: {@code method SP request-target SP HTTP-version}, exactly one SP each;
 *       method a token; target 1*VCHAR (no CTL, no SP, no obs-text: a URI is ASCII) in origin
 *       form, absolute form ({@code http}/{@code https} only, no userinfo), {@code *} for OPTIONS
 *       or authority form for CONNECT; version exactly {@code HTTP/} DIGIT {@code .} DIGIT
 *       (case-sensitive). A well-formed version other than 1.0 and 1.1 ({@code HTTP/1.2},
 *       {@code HTTP/2.0}, {@code HTTP/0.9}) is {@link Problem#UNSUPPORTED_VERSION} (505); the
 *       HTTP/2 connection preface is {@link Problem#HTTP2_PREFACE}. Empty lines (CRLF) before a
 *       request line are skipped (RFC 9112 §2.2).</li>
 *   <li>Field line: {@code token ":" OWS field-value OWS}; no whitespace before the colon, no
 *       obs-fold (a line starting with SP or HTAB), field values of VCHAR, obs-text, SP and HTAB
 *       only (NUL, VT, DEL and every other CTL are errors).</li>
 *   <li>Requests: Host exactly once in HTTP/1.1, at most once in HTTP/1.0, with a value that is
 *       {@code uri-host [":" port]}: a non-empty reg-name, or an IP-literal in brackets (IPv6 or
 *       IPvFuture, no zone id); a port is 1*DIGIT no greater than 65535 (an empty port is an
 *       error).</li>
 *   <li>Framing: Transfer-Encoding and Content-Length together are an error; Content-Length more
 *       than once is an error even with equal values, and must be 1*DIGIT within 63 bits;
 *       Transfer-Encoding must be one field whose value is exactly {@code chunked}
 *       (case-insensitive, OWS around it), and is an error in HTTP/1.0.</li>
 *   <li>Chunked: chunk-size 1*HEXDIG, at most {@value #MAX_CHUNK_SIZE_DIGITS} digits, within 63
 *       bits (no sign, no {@code 0x}, no whitespace before it or before CRLF); chunk-ext per RFC
 *       9112 §7.1.1 ({@code *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )});
 *       a chunk line (size and extensions, without its CRLF) of at most {@value #MAX_CHUNK_LINE}
 *       bytes; CRLF right after each chunk's data; trailer fields under the field-line rules.</li>
 *   <li>Responses: {@code HTTP-version SP 3DIGIT [SP reason]} with a status within 100..599 (a
 *       missing SP before an empty reason is accepted); no body for 1xx, 204, 304 or a response to
 *       HEAD; without framing headers, the body runs to the end of the connection.</li>
 * </ul>
 *
 * <p>Bytes become text as ISO-8859-1, one char per byte, so obs-text survives as it was.
 */
public final class StrictHttpParser {

    /** The longest chunk line (chunk-size and chunk-ext, without CRLF) accepted. */
    public static final int MAX_CHUNK_LINE = 4096;
    /** The most hex digits a chunk-size may have (and it must fit in 63 bits). */
    public static final int MAX_CHUNK_SIZE_DIGITS = 16;

    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n".getBytes(StandardCharsets.ISO_8859_1);

    /** Why bytes were refused, and the status a server answers with. */
    public enum Problem {
        MALFORMED(400), UNSUPPORTED_VERSION(505), HTTP2_PREFACE(0);

        /** The status a server would answer; 0 for the HTTP/2 preface (no HTTP/1 answer at all). */
        public final int status;

        Problem(int status) {
            this.status = status;
        }
    }

    /** How a message's body is delimited. */
    public enum Framing { NONE, LENGTH, CHUNKED, UNTIL_CLOSE }

    /** {@link #COMPLETE}: every byte was read into whole messages; otherwise the last message is unfinished or wrong. */
    public enum State { COMPLETE, INCOMPLETE, ERROR }

    /** One field line, its value without the OWS around it. */
    public record Field(String name, String value) {
        @Override
        public String toString() {
            return name + ": " + value;
        }
    }

    /**
     * One message. For a request {@code status} is -1 and {@code reason} null; for a response
     * {@code method} and {@code target} are null.
     *
     * @param body the body after de-chunking
     * @param chunkExtensions the raw chunk-ext of each chunk that had one (text after the size)
     * @param start offset of the message's first byte (after any skipped empty lines)
     * @param end offset after its last byte
     */
    public record Message(String method, String target, String version, int status, String reason,
                          List<Field> headers, Framing framing, byte[] body, List<Field> trailers,
                          List<String> chunkExtensions, int start, int end) {

        public boolean isRequest() {
            return method != null;
        }

        /** Every value of {@code name} (case-insensitive), in order. */
        public List<String> values(String name) {
            List<String> out = new ArrayList<>();
            for (Field f : headers) {
                if (f.name.equalsIgnoreCase(name)) {
                    out.add(f.value);
                }
            }
            return out;
        }

        /** The only or first value of {@code name}, or null. */
        public String value(String name) {
            List<String> v = values(name);
            return v.isEmpty() ? null : v.get(0);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }

        @Override
        public String toString() {
            String line = isRequest() ? method + " " + target + " " + version : version + " " + status + " " + reason;
            return line + " " + headers + " framing=" + framing + " body=" + Escape.bytes(body)
                    + (trailers.isEmpty() ? "" : " trailers=" + trailers);
        }
    }

    /**
     * What the bytes held.
     *
     * @param messages the whole messages, in order
     * @param partial when {@link State#INCOMPLETE} and the unfinished message's head is complete:
     *                that message with the body read so far; else null
     * @param problem, reason, offset when {@link State#ERROR}: what, why and where (offset into the bytes)
     */
    public record Result(List<Message> messages, State state, Problem problem, String reason, int offset, Message partial) {

        public boolean isError() {
            return state == State.ERROR;
        }

        @Override
        public String toString() {
            return switch (state) {
                case COMPLETE -> "COMPLETE " + messages.size() + " message(s)";
                case INCOMPLETE -> "INCOMPLETE after " + messages.size() + " message(s)" + (partial == null ? "" : ", head read: " + partial);
                case ERROR -> "ERROR " + problem + " at " + offset + " (" + reason + ") after " + messages.size() + " message(s)";
            };
        }
    }

    /** Reads {@code bytes} as pipelined requests. */
    public static Result parseRequests(byte[] bytes) {
        return new StrictHttpParser(bytes, true, false, new String[0]).run();
    }

    /**
     * Reads {@code bytes} as the responses of one connection. {@code eof}: the bytes are all the
     * connection will ever carry (ends a body delimited by close). {@code methods}: the method of
     * the request each final response answers, in order (missing ones are GET); only HEAD matters.
     */
    public static Result parseResponses(byte[] bytes, boolean eof, String... methods) {
        return new StrictHttpParser(bytes, false, eof, methods).run();
    }

    // ------------------------------------------------------------------ machinery

    /** More bytes are needed to decide. */
    private static final class Incomplete extends RuntimeException {
        Incomplete() {
            super(null, null, false, false);
        }
    }

    private static final class Bad extends RuntimeException {
        final Problem problem;
        final int offset;

        Bad(Problem problem, String reason, int offset) {
            super(reason, null, false, false);
            this.problem = problem;
            this.offset = offset;
        }
    }

    private final byte[] b;
    private final int n;
    private final boolean requests;
    private final boolean eof;
    private final String[] methods;
    private int p;
    private int finals;

    /** The head of the message being read, once complete, and its body so far: the partial message. */
    private Message head;
    private ByteArrayOutputStream bodySoFar;

    private StrictHttpParser(byte[] bytes, boolean requests, boolean eof, String[] methods) {
        this.b = bytes;
        this.n = bytes.length;
        this.requests = requests;
        this.eof = eof;
        this.methods = methods;
    }

    private Result run() {
        List<Message> out = new ArrayList<>();
        while (true) {
            head = null;
            bodySoFar = null;
            try {
                if (requests) {
                    skipEmptyLines();
                }
                if (p == n) {
                    return new Result(List.copyOf(out), State.COMPLETE, null, null, -1, null);
                }
                out.add(message());
            } catch (Incomplete e) {
                Message partial = head == null ? null : withBody(head, bodySoFar.toByteArray(), List.of(), p);
                return new Result(List.copyOf(out), State.INCOMPLETE, null, null, -1, partial);
            } catch (Bad e) {
                return new Result(List.copyOf(out), State.ERROR, e.problem, e.getMessage(), e.offset, null);
            }
        }
    }

    private static Message withBody(Message h, byte[] body, List<Field> trailers, int end) {
        return new Message(h.method, h.target, h.version, h.status, h.reason, h.headers, h.framing, body, trailers,
                h.chunkExtensions, h.start, end);
    }

    private static Bad bad(String reason, int at) {
        return new Bad(Problem.MALFORMED, reason, at);
    }

    /** RFC 9112 §2.2: a server SHOULD ignore empty lines received before a request line. */
    private void skipEmptyLines() {
        while (p < n && b[p] == '\r') {
            if (p + 1 == n) {
                throw new Incomplete();
            }
            if (b[p + 1] != '\n') {
                throw bad("bare CR before the request line", p);
            }
            p += 2;
        }
        if (p < n && b[p] == '\n') {
            throw bad("bare LF before the request line", p);
        }
    }

    /**
     * The end of the line starting at {@code from}: the index of its CR, or -1 when the line is not
     * complete yet. A bare LF or a CR followed by anything but LF is an error.
     */
    private int lineEnd(int from) {
        for (int i = from; i < n; i++) {
            byte c = b[i];
            if (c == '\n') {
                throw bad("bare LF", i);
            }
            if (c == '\r') {
                if (i + 1 == n) {
                    return -1;
                }
                if (b[i + 1] != '\n') {
                    throw bad("bare CR", i);
                }
                return i;
            }
        }
        return -1;
    }

    /** Where a line's content stops: its CR, or, for an unfinished line, the end of the bytes (before a trailing CR). */
    private int contentLimit(int end) {
        if (end >= 0) {
            return end;
        }
        return n > p && b[n - 1] == '\r' ? n - 1 : n;
    }

    private Message message() {
        int start = p;
        int end = lineEnd(p);
        boolean complete = end >= 0;
        int limit = contentLimit(end);
        String[] line = requests ? requestLine(p, limit, complete) : statusLine(p, limit, complete);
        if (!complete) {
            throw new Incomplete();
        }
        p = end + 2;
        List<Field> headers = fieldLines(true);
        String version = requests ? line[2] : line[0];
        boolean http10 = version.equals("HTTP/1.0");
        Framing framing;
        long length = -1;
        if (requests) {
            checkHost(headers, http10, start);
            if (line[1].charAt(0) != '/' && !line[1].equals("*") && !line[0].equals("CONNECT")) {
                checkAbsoluteTarget(line[1], start);
            }
        }
        List<String> te = values(headers, "Transfer-Encoding");
        List<String> cl = values(headers, "Content-Length");
        if (!te.isEmpty() && !cl.isEmpty()) {
            throw bad("Transfer-Encoding with Content-Length", start);
        }
        if (!te.isEmpty()) {
            if (te.size() > 1) {
                throw bad("Transfer-Encoding more than once", start);
            }
            if (!te.get(0).equalsIgnoreCase("chunked")) {
                throw bad("Transfer-Encoding other than a single chunked: '" + te.get(0) + "'", start);
            }
            if (http10) {
                throw bad("Transfer-Encoding in an HTTP/1.0 message", start);
            }
            framing = Framing.CHUNKED;
        } else if (!cl.isEmpty()) {
            if (cl.size() > 1) {
                throw bad("Content-Length more than once", start);
            }
            length = contentLength(cl.get(0), start);
            framing = Framing.LENGTH;
        } else {
            framing = requests ? Framing.NONE : Framing.UNTIL_CLOSE;
        }
        int status = -1;
        if (!requests) {
            status = Integer.parseInt(line[1]);
            boolean interim = status < 200;
            String method = interim ? "GET" : finals < methods.length ? methods[finals] : "GET";
            if (interim || status == 204 || status == 304 || method.equals("HEAD")) {
                framing = Framing.NONE;
            }
            if (!interim) {
                finals++;
            }
        }
        head = requests
                ? new Message(line[0], line[1], line[2], -1, null, headers, framing, new byte[0], List.of(), List.of(), start, p)
                : new Message(null, null, line[0], status, line[2], headers, framing, new byte[0], List.of(), List.of(), start, p);
        bodySoFar = new ByteArrayOutputStream();
        List<String> extensions = new ArrayList<>();
        List<Field> trailers = List.of();
        switch (framing) {
            case NONE -> { }
            case LENGTH -> {
                long available = n - p;
                if (available < length) {
                    bodySoFar.write(b, p, (int) available);
                    p = n;
                    throw new Incomplete();
                }
                bodySoFar.write(b, p, (int) length);
                p += (int) length;
            }
            case UNTIL_CLOSE -> {
                bodySoFar.write(b, p, n - p);
                p = n;
                if (!eof) {
                    throw new Incomplete();
                }
            }
            case CHUNKED -> trailers = chunkedBody(extensions);
        }
        Message h = head;
        return new Message(h.method, h.target, h.version, h.status, h.reason, h.headers, h.framing, bodySoFar.toByteArray(),
                trailers, List.copyOf(extensions), start, p);
    }

    // ------------------------------------------------------------------ start lines

    /** method, target, version of a request line in {@code [s, e)}; throws Incomplete for a valid unfinished prefix. */
    private String[] requestLine(int s, int e, boolean complete) {
        if (e - s >= PREFACE.length - 2 && startsWith(s, PREFACE, PREFACE.length - 2)) {
            throw new Bad(Problem.HTTP2_PREFACE, "HTTP/2 connection preface", s);
        }
        int i = s;
        while (i < e && tchar(b[i])) {
            i++;
        }
        if (i == s) {
            if (i == e && !complete) {
                throw new Incomplete();
            }
            throw bad(i == e ? "empty request line" : "method is not a token", i);
        }
        if (i == e) {
            throw complete ? bad("request line without a target", i) : new Incomplete();
        }
        if (b[i] != ' ') {
            throw bad("method is not a token (byte " + hex(b[i]) + ")", i);
        }
        String method = text(s, i);
        int ts = ++i;
        while (i < e && b[i] > 0x20 && b[i] < 0x7f) {
            i++;
        }
        if (i == ts) {
            if (i == e && !complete) {
                throw new Incomplete();
            }
            throw bad(i == e ? "request line without a target" : "not exactly one SP before the target", i);
        }
        if (i == e) {
            throw complete ? bad("request line without an HTTP version", i) : new Incomplete();
        }
        if (b[i] != ' ') {
            throw bad("invalid byte " + hex(b[i]) + " in the request target", i);
        }
        String target = text(ts, i);
        String version = version(++i, e, complete);
        if (version.equals("HTTP/2.0") && method.equals("PRI")) {
            throw new Bad(Problem.HTTP2_PREFACE, "HTTP/2 connection preface", s);
        }
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            throw new Bad(Problem.UNSUPPORTED_VERSION, "unsupported version " + version, i);
        }
        checkTargetForm(method, target, ts);
        return new String[] {method, target, version};
    }

    /** A response's version, status code and reason. */
    private String[] statusLine(int s, int e, boolean complete) {
        int i = s;
        int ve = s;
        while (ve < e && b[ve] != ' ') {
            ve++;
        }
        if (ve == e && !complete) {
            version(s, e, false); // a valid prefix, or an error now
            throw new Incomplete();
        }
        String version = version(s, ve, true);
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            throw new Bad(Problem.UNSUPPORTED_VERSION, "unsupported version " + version, s);
        }
        if (ve == e) {
            throw bad("status line without a status code", ve);
        }
        i = ve + 1;
        int cs = i;
        while (i < e && i - cs < 3 && digit(b[i])) {
            i++;
        }
        if (i - cs < 3) {
            if (i == e && !complete) {
                throw new Incomplete();
            }
            throw bad("status code is not 3 digits", i);
        }
        if (i < e && b[i] != ' ') {
            throw bad("status code is not 3 digits", i);
        }
        int status = Integer.parseInt(text(cs, i));
        if (status < 100 || status > 599) {
            throw bad("status code " + status + " outside 100..599", cs);
        }
        String reason = "";
        if (i < e) {
            int rs = ++i;
            for (; i < e; i++) {
                int c = b[i] & 0xff;
                if (!(c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f))) {
                    throw bad("control byte " + hex(b[i]) + " in the reason phrase", i);
                }
            }
            reason = text(rs, e);
        }
        return new String[] {version, text(cs, cs + 3), reason};
    }

    /** {@code HTTP/} DIGIT {@code .} DIGIT exactly filling {@code [s, e)}. */
    private String version(int s, int e, boolean complete) {
        byte[] shape = {'H', 'T', 'T', 'P', '/', 0, '.', 0};
        int i = s;
        for (int k = 0; k < shape.length; k++, i++) {
            if (i == e) {
                throw complete ? bad("truncated HTTP version", i) : new Incomplete();
            }
            boolean ok = shape[k] == 0 ? digit(b[i]) : b[i] == shape[k];
            if (!ok) {
                throw bad("invalid HTTP version", i);
            }
        }
        if (i != e) {
            throw bad("bytes after the HTTP version", i);
        }
        return text(s, e);
    }

    private void checkTargetForm(String method, String target, int at) {
        if (target.equals("*")) {
            if (!method.equals("OPTIONS")) {
                throw bad("asterisk-form target for " + method, at);
            }
        } else if (target.charAt(0) == '/') {
            return;
        } else if (method.equals("CONNECT")) {
            if (!hostPort(target, true)) {
                throw bad("invalid authority-form target", at);
            }
        }
        // Absolute form is checked once the head is in (it is only an error, never incomplete).
    }

    private void checkAbsoluteTarget(String target, int at) {
        int colon = target.indexOf(':');
        String scheme = colon < 0 ? "" : target.substring(0, colon).toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw bad("request target neither origin form nor an http(s) absolute URI", at);
        }
        if (!target.startsWith("//", colon + 1)) {
            throw bad("absolute-form target without an authority", at);
        }
        int as = colon + 3;
        int ae = as;
        while (ae < target.length() && target.charAt(ae) != '/' && target.charAt(ae) != '?') {
            ae++;
        }
        String authority = target.substring(as, ae);
        if (authority.indexOf('@') >= 0) {
            throw bad("userinfo in the request target", at);
        }
        if (!hostPort(authority, false)) {
            throw bad("invalid authority in the request target: " + authority, at);
        }
    }

    // ------------------------------------------------------------------ fields

    /**
     * Field lines up to and including the empty line. {@code first}: right after a start line,
     * where a whitespace-preceded line is not obs-fold but just as wrong.
     */
    private List<Field> fieldLines(boolean first) {
        List<Field> fields = new ArrayList<>();
        while (true) {
            int end = lineEnd(p);
            boolean complete = end >= 0;
            int limit = contentLimit(end);
            if (complete && end == p) {
                p += 2;
                return List.copyOf(fields);
            }
            if (p == limit) {
                throw new Incomplete();
            }
            if (b[p] == ' ' || b[p] == '\t') {
                throw bad(fields.isEmpty() && first ? "whitespace before the first field line" : "obs-fold", p);
            }
            int i = p;
            while (i < limit && tchar(b[i])) {
                i++;
            }
            if (i == limit) {
                throw complete ? bad("field line without a colon", i) : new Incomplete();
            }
            if (b[i] != ':') {
                throw bad(b[i] == ' ' || b[i] == '\t' ? "whitespace between the field name and the colon"
                        : "invalid byte " + hex(b[i]) + " in a field name", i);
            }
            if (i == p) {
                throw bad("empty field name", i);
            }
            String name = text(p, i);
            int vs = i + 1;
            for (int k = vs; k < limit; k++) {
                int c = b[k] & 0xff;
                if (!(c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f))) {
                    throw bad("control byte " + hex(b[k]) + " in the value of " + name, k);
                }
            }
            if (!complete) {
                throw new Incomplete();
            }
            int ve = limit;
            while (vs < ve && (b[vs] == ' ' || b[vs] == '\t')) {
                vs++;
            }
            while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) {
                ve--;
            }
            fields.add(new Field(name, text(vs, ve)));
            p = end + 2;
        }
    }

    private void checkHost(List<Field> headers, boolean http10, int at) {
        List<String> hosts = values(headers, "Host");
        if (hosts.size() > 1) {
            throw bad("Host more than once", at);
        }
        if (hosts.isEmpty()) {
            if (!http10) {
                throw bad("HTTP/1.1 request without Host", at);
            }
            return;
        }
        if (!hostPort(hosts.get(0), false)) {
            throw bad("invalid Host: '" + hosts.get(0) + "'", at);
        }
    }

    private static long contentLength(String value, int at) {
        if (value.isEmpty() || value.length() > 18) {
            throw bad(value.isEmpty() ? "empty Content-Length" : "Content-Length too large", at);
        }
        long v = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                throw bad("Content-Length is not 1*DIGIT: '" + value + "'", at);
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    // ------------------------------------------------------------------ chunked

    private List<Field> chunkedBody(List<String> extensions) {
        while (true) {
            int end = lineEnd(p);
            boolean complete = end >= 0;
            int limit = contentLimit(end);
            if (limit - p > MAX_CHUNK_LINE) {
                throw bad("chunk line longer than " + MAX_CHUNK_LINE + " bytes", p);
            }
            int i = p;
            long size = 0;
            while (i < limit && hexDigit(b[i]) >= 0) {
                if (i - p == MAX_CHUNK_SIZE_DIGITS) {
                    throw bad("chunk size of more than " + MAX_CHUNK_SIZE_DIGITS + " hex digits", i);
                }
                if (size > (Long.MAX_VALUE >> 4)) {
                    throw bad("chunk size beyond 63 bits", i);
                }
                size = (size << 4) | hexDigit(b[i]);
                i++;
            }
            if (i == p) {
                if (i == limit && !complete) {
                    throw new Incomplete();
                }
                throw bad(i == limit ? "empty chunk size" : "chunk size is not hex (byte " + hex(b[i]) + ")", i);
            }
            if (i < limit) {
                chunkExtensions(i, limit, complete);
                extensions.add(text(i, limit));
            }
            if (!complete) {
                throw new Incomplete();
            }
            p = end + 2;
            if (size == 0) {
                return fieldLines(false);
            }
            if (n - p < size) {
                bodySoFar.write(b, p, n - p);
                p = n;
                throw new Incomplete();
            }
            bodySoFar.write(b, p, (int) size);
            p += (int) size;
            if (p == n) {
                throw new Incomplete();
            }
            if (b[p] != '\r') {
                throw bad("chunk data not followed by CRLF", p);
            }
            if (p + 1 == n) {
                throw new Incomplete();
            }
            if (b[p + 1] != '\n') {
                throw bad("chunk data followed by a bare CR", p);
            }
            p += 2;
        }
    }

    /** {@code *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )} filling {@code [i, e)}. */
    private void chunkExtensions(int i, int e, boolean complete) {
        while (i < e) {
            i = ows(i, e);
            if (i == e) {
                if (!complete) {
                    return;
                }
                throw bad("whitespace after the chunk size or extension", i);
            }
            if (b[i] != ';') {
                throw bad("invalid byte " + hex(b[i]) + " after the chunk size", i);
            }
            i = ows(i + 1, e);
            int ns = i;
            while (i < e && tchar(b[i])) {
                i++;
            }
            if (i == ns) {
                if (i == e && !complete) {
                    return;
                }
                throw bad("chunk extension without a name", i);
            }
            int after = ows(i, e);
            if (after == e && !complete) {
                return;
            }
            if (after < e && b[after] == '=') {
                i = ows(after + 1, e);
                if (i == e) {
                    if (!complete) {
                        return;
                    }
                    throw bad("chunk extension without a value after '='", i);
                }
                if (b[i] == '"') {
                    i = quotedString(i, e, complete);
                    if (i < 0) {
                        return;
                    }
                } else {
                    int vs = i;
                    while (i < e && tchar(b[i])) {
                        i++;
                    }
                    if (i == vs) {
                        throw bad("invalid chunk extension value", i);
                    }
                }
            }
        }
    }

    /** The index after the closing quote of the quoted-string at {@code i}, or -1 when it runs past an unfinished line. */
    private int quotedString(int i, int e, boolean complete) {
        i++;
        while (i < e) {
            int c = b[i] & 0xff;
            if (c == '"') {
                return i + 1;
            }
            if (c == '\\') {
                if (i + 1 == e) {
                    break;
                }
                int q = b[i + 1] & 0xff;
                if (!(q == '\t' || q == ' ' || (q >= 0x21 && q != 0x7f))) {
                    throw bad("invalid quoted-pair in a chunk extension", i + 1);
                }
                i += 2;
                continue;
            }
            if (!(c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f))) {
                throw bad("control byte " + hex(b[i]) + " in a quoted chunk extension", i);
            }
            i++;
        }
        if (!complete) {
            return -1;
        }
        throw bad("unterminated quoted-string in a chunk extension", i);
    }

    private int ows(int i, int e) {
        while (i < e && (b[i] == ' ' || b[i] == '\t')) {
            i++;
        }
        return i;
    }

    // ------------------------------------------------------------------ host

    /**
     * {@code uri-host [":" port]} (RFC 9110 §7.2, RFC 3986 §3.2.2): a non-empty reg-name
     * ({@code unreserved / pct-encoded / sub-delims}) or an IP-literal; the port, when present, is
     * 1*DIGIT within 0..65535. {@code portRequired} for authority form.
     */
    public static boolean hostPort(String s, boolean portRequired) {
        String host;
        String port = null;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                return false;
            }
            if (!ipLiteral(s.substring(1, close))) {
                return false;
            }
            String rest = s.substring(close + 1);
            if (!rest.isEmpty()) {
                if (rest.charAt(0) != ':') {
                    return false;
                }
                port = rest.substring(1);
            }
            host = s.substring(0, close + 1);
        } else {
            int colon = s.indexOf(':');
            host = colon < 0 ? s : s.substring(0, colon);
            if (colon >= 0) {
                port = s.substring(colon + 1);
            }
            if (!regName(host)) {
                return false;
            }
        }
        if (port == null) {
            return !portRequired;
        }
        if (port.isEmpty() || port.length() > 5) {
            return false;
        }
        for (int i = 0; i < port.length(); i++) {
            if (port.charAt(i) < '0' || port.charAt(i) > '9') {
                return false;
            }
        }
        return Integer.parseInt(port) <= 65535 && !host.isEmpty();
    }

    private static boolean regName(String h) {
        if (h.isEmpty()) {
            return false;
        }
        for (int i = 0; i < h.length(); i++) {
            char c = h.charAt(i);
            if (c == '%') {
                if (i + 2 >= h.length() || hexDigit((byte) h.charAt(i + 1)) < 0 || hexDigit((byte) h.charAt(i + 2)) < 0) {
                    return false;
                }
                i += 2;
            } else if (!unreserved(c) && "!$&'()*+,;=".indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean unreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    }

    /** IPv6address or IPvFuture, without the brackets; no zone id. */
    static boolean ipLiteral(String s) {
        if (s.length() > 1 && (s.charAt(0) == 'v' || s.charAt(0) == 'V')) {
            int dot = s.indexOf('.');
            if (dot < 2 || dot == s.length() - 1) {
                return false;
            }
            for (int i = 1; i < dot; i++) {
                if (hexDigit((byte) s.charAt(i)) < 0) {
                    return false;
                }
            }
            for (int i = dot + 1; i < s.length(); i++) {
                char c = s.charAt(i);
                if (!unreserved(c) && "!$&'()*+,;=:".indexOf(c) < 0) {
                    return false;
                }
            }
            return true;
        }
        return ipv6(s);
    }

    private static boolean ipv6(String s) {
        if (s.isEmpty()) {
            return false;
        }
        int doubleColon = s.indexOf("::");
        if (doubleColon >= 0 && s.indexOf("::", doubleColon + 1) >= 0) {
            return false;
        }
        String[] halves = doubleColon >= 0
                ? new String[] {s.substring(0, doubleColon), s.substring(doubleColon + 2)}
                : new String[] {s};
        int groups = 0;
        for (int h = 0; h < halves.length; h++) {
            String part = halves[h];
            if (part.isEmpty()) {
                continue;
            }
            String[] pieces = part.split(":", -1);
            for (int k = 0; k < pieces.length; k++) {
                String piece = pieces[k];
                boolean last = h == halves.length - 1 && k == pieces.length - 1;
                if (last && piece.indexOf('.') >= 0) {
                    if (!ipv4(piece)) {
                        return false;
                    }
                    groups += 2;
                    continue;
                }
                if (piece.isEmpty() || piece.length() > 4) {
                    return false;
                }
                for (int i = 0; i < piece.length(); i++) {
                    if (hexDigit((byte) piece.charAt(i)) < 0) {
                        return false;
                    }
                }
                groups++;
            }
        }
        return doubleColon >= 0 ? groups <= 7 : groups == 8;
    }

    private static boolean ipv4(String s) {
        String[] octets = s.split("\\.", -1);
        if (octets.length != 4) {
            return false;
        }
        for (String o : octets) {
            if (o.isEmpty() || o.length() > 3 || (o.length() > 1 && o.charAt(0) == '0')) {
                return false;
            }
            for (int i = 0; i < o.length(); i++) {
                if (o.charAt(i) < '0' || o.charAt(i) > '9') {
                    return false;
                }
            }
            if (Integer.parseInt(o) > 255) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ bytes

    /** tchar (RFC 9110 §5.6.2). */
    static boolean tchar(byte c) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            return true;
        }
        return switch (c) {
            case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~' -> true;
            default -> false;
        };
    }

    private static boolean digit(byte c) {
        return c >= '0' && c <= '9';
    }

    private static int hexDigit(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private boolean startsWith(int at, byte[] prefix, int length) {
        for (int k = 0; k < length; k++) {
            if (at + k >= n || b[at + k] != prefix[k]) {
                return false;
            }
        }
        return true;
    }

    private String text(int s, int e) {
        return new String(b, s, e - s, StandardCharsets.ISO_8859_1);
    }

    private static String hex(byte c) {
        return String.format("0x%02x", c & 0xff);
    }

    private static List<String> values(List<Field> fields, String name) {
        List<String> out = new ArrayList<>();
        for (Field f : fields) {
            if (f.name.equalsIgnoreCase(name)) {
                out.add(f.value);
            }
        }
        return out;
    }

    /** Bytes as readable ASCII for failure messages: printable ASCII as is, the rest escaped. */
    public static final class Escape {
        private Escape() {
        }

        public static String bytes(byte[] bytes) {
            return bytes(bytes, 0, bytes.length);
        }

        public static String bytes(byte[] bytes, int from, int to) {
            StringBuilder sb = new StringBuilder();
            for (int i = from; i < to; i++) {
                int c = bytes[i] & 0xff;
                switch (c) {
                    case '\r' -> sb.append("\\r");
                    case '\n' -> sb.append("\\n");
                    case '\t' -> sb.append("\\t");
                    case '\\' -> sb.append("\\\\");
                    default -> {
                        if (c >= 0x20 && c < 0x7f) {
                            sb.append((char) c);
                        } else {
                            sb.append(String.format("\\x%02x", c));
                        }
                    }
                }
            }
            return sb.toString();
        }
    }
}
