package dev.turnpike.runtime.wire;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

/**
 * Parses field lines ({@code field-name ":" OWS field-value OWS CRLF}, RFC 9112 §5) from the one
 * array a head was copied into. Values become {@link AsciiString}s over that array, not copies: a
 * head costs one array and the objects that point into it, and a value goes out to the other side
 * with one array copy. Names come from {@link HeaderNameCache}, since they are what every header
 * lookup compares. Refuses whitespace before the colon, obs-fold, an empty or
 * non-token name and any CTL but HTAB in a value, which is where a bare CR would be.
 *
 * <p>While it parses it notes the two fields that frame a body, so the decoders need not look
 * them up again.
 */
final class FieldLines {

    private static final int MAX_HOP_LINES = 8;

    /**
     * Where the hop-by-hop field lines are ({@code start, end} pairs into the array, CRLF
     * included), for a head that may be passed on as it came; see {@link #verbatim}.
     */
    final int[] hopLines = new int[2 * MAX_HOP_LINES];
    int hopLineCount;
    /**
     * Whether the head can go on as its bytes with the hop-by-hop lines left out: false when a
     * Connection field names other fields (they would have to go too) or there are too many such
     * lines to note.
     */
    boolean verbatim = true;

    /** Content-Length fields seen, and the last one's value. */
    int contentLengths;
    AsciiString contentLength;
    /** Transfer-Encoding fields seen, and the last one's value. */
    int transferEncodings;
    AsciiString transferEncoding;

    void reset() {
        hopLineCount = 0;
        verbatim = true;
        contentLengths = 0;
        contentLength = null;
        transferEncodings = 0;
        transferEncoding = null;
    }

    /**
     * Adds the field lines in {@code a[from, to)} to {@code into}; {@code to} is where the empty
     * line that ends the section starts. Every line in it ends in CRLF (the scanner saw to that).
     *
     * @throws WireViolation for a line that breaks the grammar
     */
    void parse(byte[] a, int from, int to, HttpHeaders into) {
        int pos = from;
        while (pos < to) {
            byte first = a[pos];
            if (Grammar.whitespace(first)) {
                throw WireViolation.bad("obs-fold (a field line that starts with whitespace) is not accepted");
            }
            int colon = pos;
            while (Grammar.tchar(a[colon])) {
                colon++;
            }
            if (colon == pos) {
                throw WireViolation.bad(first == ':' ? "empty header field name" : "invalid header field name");
            }
            if (a[colon] != ':') {
                throw WireViolation.bad(Grammar.whitespace(a[colon]) ? "whitespace before the colon of a header field"
                        : "invalid character in a header field name");
            }
            int v = colon + 1;
            while (Grammar.whitespace(a[v])) {
                v++;
            }
            int end = v;
            while (Grammar.fieldChar(a[end])) {
                end++;
            }
            // The line must end here, at its CR: anything else is a CTL inside the value.
            if (a[end] != '\r' || a[end + 1] != '\n') {
                throw WireViolation.bad("invalid character in the value of a header field");
            }
            int next = end + 2;
            while (end > v && Grammar.whitespace(a[end - 1])) {
                end--;
            }
            AsciiString name = HeaderNameCache.name(a, pos, colon - pos);
            AsciiString value = new AsciiString(a, v, end - v, false);
            note(name, value, pos, next);
            into.add(name, value);
            pos = next;
        }
    }

    private void note(AsciiString name, AsciiString value, int lineStart, int lineEnd) {
        if (name.contentEqualsIgnoreCase(HttpHeaderNames.CONTENT_LENGTH)) {
            contentLengths++;
            contentLength = value;
            return;
        }
        if (!HopByHop.isFixed(name)) {
            return;
        }
        hopLine(lineStart, lineEnd);
        if (name.contentEqualsIgnoreCase(HttpHeaderNames.TRANSFER_ENCODING)) {
            transferEncodings++;
            transferEncoding = value;
        } else if (name.contentEqualsIgnoreCase(HttpHeaderNames.CONNECTION)
                && !value.contentEqualsIgnoreCase(HttpHeaderValues.KEEP_ALIVE)
                && !value.contentEqualsIgnoreCase(HttpHeaderValues.CLOSE)) {
            verbatim = false;
        }
    }

    private void hopLine(int start, int end) {
        if (hopLineCount == MAX_HOP_LINES) {
            verbatim = false;
            return;
        }
        hopLines[2 * hopLineCount] = start;
        hopLines[2 * hopLineCount + 1] = end;
        hopLineCount++;
    }

    /**
     * A Content-Length value as a number: {@code 1*DIGIT}, nothing else (no sign, no list, no
     * space). -1 when it is not one, or too large to be a length.
     */
    static long length(AsciiString value) {
        int n = value.length();
        if (n == 0 || n > 18) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < n; i++) {
            byte b = value.byteAt(i);
            if (!Grammar.digit(b)) {
                return -1;
            }
            v = v * 10 + (b - '0');
        }
        return v;
    }

    /** Whether the one Transfer-Encoding field says exactly {@code chunked} (case aside). */
    boolean chunkedOnly() {
        return transferEncodings == 1 && transferEncoding.contentEqualsIgnoreCase(HttpHeaderValues.CHUNKED);
    }
}
