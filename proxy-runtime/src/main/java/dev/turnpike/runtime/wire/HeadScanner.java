package dev.turnpike.runtime.wire;

import io.netty.buffer.ByteBuf;

/**
 * Finds where a head (a start line and its field lines) ends in the bytes
 * received so far, and holds what it has looked at, so a head that trickles in is scanned once,
 * not again with every packet. It enforces what decides the framing of everything after it: every
 * line ends in CRLF (a bare LF is refused here; a bare CR is refused by the parsers, which allow
 * no CTL), and the limits on the first line and on the field section.
 */
final class HeadScanner {

    /** {@link #scan} found no end yet. */
    static final int MORE = -1;

    private final int maxFirstLine;
    private final int maxFields;
    private final int firstLineStatus;
    private final int fieldsStatus;
    private int scanned;
    private int lineStart;
    private int firstLineEnd;
    private int lines;

    /**
     * @param maxFirstLine    the most bytes the start line may take, CRLF included
     * @param firstLineStatus the status when it is longer (414 for a request line)
     * @param maxFields       the most bytes the field lines may take
     * @param fieldsStatus    the status when they do (431 for a request)
     */
    HeadScanner(int maxFirstLine, int firstLineStatus, int maxFields, int fieldsStatus) {
        this.maxFirstLine = maxFirstLine;
        this.firstLineStatus = firstLineStatus;
        this.maxFields = maxFields;
        this.fieldsStatus = fieldsStatus;
    }

    /** Forgets the head scanned, for the next message. */
    void reset() {
        scanned = 0;
        lineStart = 0;
        firstLineEnd = 0;
        lines = 0;
    }

    /** Where the start line ends (after its CRLF), relative to the head's start; valid after {@link #scan} found the end. */
    int firstLineEnd() {
        return firstLineEnd;
    }

    /**
     * Looks further into {@code in} from its reader index, which must not move between calls for
     * the same head. Returns the head's length up to and including the empty line, or {@link #MORE}.
     *
     * @throws WireViolation when a line ends in a bare LF or a limit is passed
     */
    int scan(ByteBuf in) {
        int base = in.readerIndex();
        int end = base + in.readableBytes();
        while (true) {
            int lf = in.indexOf(base + scanned, end, (byte) '\n');
            if (lf < 0) {
                scanned = end - base;
                checkLimits(scanned);
                return MORE;
            }
            int rel = lf - base;
            if (rel == lineStart || in.getByte(lf - 1) != '\r') {
                throw WireViolation.bad("a line ends in a bare LF");
            }
            int next = rel + 1;
            if (next - lineStart == 2 && lines > 0) {
                return next; // the empty line
            }
            if (lines == 0) {
                checkLimits(next);
                firstLineEnd = next;
            }
            lines++;
            lineStart = next;
            scanned = next;
            checkLimits(next);
        }
    }

    private void checkLimits(int seen) {
        if (lines == 0) {
            if (seen > maxFirstLine) {
                throw new WireViolation(firstLineStatus, firstLineStatus == 414 ? "request line too long" : "start line too long");
            }
        } else if (seen - firstLineEnd > maxFields) {
            throw new WireViolation(fieldsStatus, fieldsStatus == 431 ? "request header section too large"
                    : "header section too large");
        }
    }
}
