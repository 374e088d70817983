package dev.turnpike.runtime.wire;

import io.netty.buffer.ByteBuf;

/**
 * Holds chunk extensions to their grammar (RFC 9112 §7.1.1):
 * {@code *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )}. The proxy reads no
 * extension and forwards none (it re-frames the body), but one that breaks the grammar is where
 * parsers disagree about where a chunk's data starts, so it refuses the message.
 */
final class ChunkExtensions {

    private ChunkExtensions() {
    }

    /** @throws WireViolation unless {@code in[from, to)} is a well-formed list of extensions */
    static void check(ByteBuf in, int from, int to) {
        int p = from;
        while (p < to) {
            p = whitespace(in, p, to);
            if (p == to || in.getByte(p) != ';') {
                throw WireViolation.bad("invalid chunk size");
            }
            p = token(in, whitespace(in, p + 1, to), to);
            int q = whitespace(in, p, to);
            if (q < to && in.getByte(q) == '=') {
                p = whitespace(in, q + 1, to);
                p = p < to && in.getByte(p) == '"' ? quoted(in, p + 1, to) : token(in, p, to);
            }
        }
    }

    private static int whitespace(ByteBuf in, int p, int to) {
        while (p < to && Grammar.whitespace(in.getByte(p))) {
            p++;
        }
        return p;
    }

    private static int token(ByteBuf in, int p, int to) {
        int start = p;
        while (p < to && Grammar.tchar(in.getByte(p))) {
            p++;
        }
        if (p == start) {
            throw WireViolation.bad("invalid chunk extension");
        }
        return p;
    }

    /** After the opening quote; returns the index after the closing one. */
    private static int quoted(ByteBuf in, int p, int to) {
        while (p < to) {
            byte b = in.getByte(p);
            if (b == '"') {
                return p + 1;
            }
            if (b == '\\') {
                if (p + 1 == to || !Grammar.fieldChar(in.getByte(p + 1))) {
                    throw WireViolation.bad("invalid chunk extension");
                }
                p += 2;
            } else if (Grammar.fieldChar(b)) {
                p++;
            } else {
                throw WireViolation.bad("invalid chunk extension");
            }
        }
        throw WireViolation.bad("invalid chunk extension");
    }
}
