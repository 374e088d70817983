package dev.turnpike.runtime.wire;

/**
 * The byte classes of HTTP/1.1's grammar (RFC 9110 §5.6, RFC 9112), as one lookup table, so the
 * parsers decide each byte with a load and a mask instead of a chain of comparisons.
 */
final class Grammar {

    private static final byte TCHAR = 1;
    /** field-vchar, SP and HTAB: what a field value may hold (obs-text included). */
    private static final byte FIELD = 2;
    /** What a request-target may hold: visible ASCII (RFC 3986 has no raw octets above 0x7f), no SP, no CTL. */
    private static final byte TARGET = 4;
    /** What a reason-phrase may hold: HTAB, SP, VCHAR, obs-text. */
    private static final byte REASON = 8;

    private static final byte[] CLASS = new byte[256];
    private static final byte[] HEX = new byte[256];

    static {
        for (int b = 0; b < 256; b++) {
            boolean vchar = b >= 0x21 && b <= 0x7e;
            boolean obsText = b >= 0x80;
            byte c = 0;
            if (vchar && "\"(),/:;<=>?@[\\]{}".indexOf(b) < 0) {
                c |= TCHAR;
            }
            if (vchar || obsText || b == ' ' || b == '\t') {
                c |= FIELD | REASON;
            }
            if (vchar) {
                c |= TARGET;
            }
            CLASS[b] = c;
            HEX[b] = (byte) (b >= '0' && b <= '9' ? b - '0' : b >= 'a' && b <= 'f' ? b - 'a' + 10
                    : b >= 'A' && b <= 'F' ? b - 'A' + 10 : -1);
        }
    }

    private Grammar() {
    }

    static boolean tchar(byte b) {
        return (CLASS[b & 0xff] & TCHAR) != 0;
    }

    static boolean fieldChar(byte b) {
        return (CLASS[b & 0xff] & FIELD) != 0;
    }

    static boolean targetChar(byte b) {
        return (CLASS[b & 0xff] & TARGET) != 0;
    }

    static boolean reasonChar(byte b) {
        return (CLASS[b & 0xff] & REASON) != 0;
    }

    /** The value of a hex digit, or -1. */
    static int hex(byte b) {
        return HEX[b & 0xff];
    }

    static boolean whitespace(byte b) {
        return b == ' ' || b == '\t';
    }

    static boolean digit(byte b) {
        return b >= '0' && b <= '9';
    }
}
