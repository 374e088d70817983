package dev.turnpike.runtime.wire;

import io.netty.buffer.ByteBuf;

/**
 * Refuses a line of a body's framing (a chunk-size line, a trailer field) as soon as the bytes
 * received of it can no longer become valid, rather than when its LF arrives. The body before it
 * has already gone on to the backend: waiting would leave the backend holding a request a strict
 * reader has already refused, until the body timeout ends it. What can be decided from a prefix is
 * decided; the complete line gets the full check.
 */
final class PartialLines {

    private PartialLines() {
    }

    /** {@code in[from, to)} is the start of a chunk-size line, no LF yet. */
    static void chunkLine(ByteBuf in, int from, int to) {
        int i = from;
        while (i < to && Grammar.hex(in.getByte(i)) >= 0) {
            i++;
        }
        if (i == to) {
            return;
        }
        byte b = in.getByte(i);
        if (i == from || (b != ';' && b != '\r' && !Grammar.whitespace(b))) {
            throw WireViolation.bad("invalid chunk size");
        }
        rest(in, i, to, "invalid chunk extension");
    }

    /** {@code in[from, to)} is the start of a trailer field line (or of the empty line), no LF yet. */
    static void fieldLine(ByteBuf in, int from, int to) {
        byte first = in.getByte(from);
        if (Grammar.whitespace(first)) {
            throw WireViolation.bad("obs-fold (a field line that starts with whitespace) is not accepted");
        }
        int i = from;
        while (i < to && Grammar.tchar(in.getByte(i))) {
            i++;
        }
        if (i == to) {
            return;
        }
        byte b = in.getByte(i);
        if (b == '\r' && i == from) {
            rest(in, i, to, "invalid trailer field");
            return;
        }
        if (b != ':' || i == from) {
            throw WireViolation.bad("invalid trailer field name");
        }
        rest(in, i + 1, to, "invalid character in the value of a trailer field");
    }

    /** Past the part with its own grammar: field characters, and a CR only as the last byte so far. */
    private static void rest(ByteBuf in, int from, int to, String why) {
        for (int i = from; i < to; i++) {
            byte b = in.getByte(i);
            if (b == '\r') {
                if (i + 1 < to) {
                    throw WireViolation.bad("a bare CR in a line");
                }
            } else if (!Grammar.fieldChar(b)) {
                throw WireViolation.bad(why);
            }
        }
    }
}
