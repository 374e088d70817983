package dev.turnpike.plugins.tracing.otlp;

import java.nio.charset.StandardCharsets;

/**
 * Reads the protobuf wire format (varints, fixed 32/64-bit, length-delimited fields), which is all
 * an OTLP request is made of: enough to decode an {@code ExportTraceServiceRequest} by field number
 * without the generated classes or protobuf-java. Hand-decoding keeps the test receiver on the JDK
 * alone, so proxy-runtime's integration test can use it without new dependencies.
 *
 * <p>Not thread-safe; one reader per message.
 */
public final class ProtoReader {

    /** Wire types (protobuf encoding spec). */
    public static final int VARINT = 0;
    public static final int FIXED64 = 1;
    public static final int LENGTH_DELIMITED = 2;
    public static final int FIXED32 = 5;

    private final byte[] buf;
    private int pos;
    private final int end;
    private int tag;

    public ProtoReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    private ProtoReader(byte[] buf, int from, int to) {
        this.buf = buf;
        this.pos = from;
        this.end = to;
    }

    /** Moves to the next field; false at the end of the message. */
    public boolean next() {
        if (pos >= end) {
            return false;
        }
        tag = (int) varint();
        return true;
    }

    public int field() {
        return tag >>> 3;
    }

    public int wireType() {
        return tag & 7;
    }

    public long varint() {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = buf[checked(pos++)];
            value |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("varint longer than 10 bytes at " + pos);
    }

    public long fixed64() {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v |= (long) (buf[checked(pos++)] & 0xff) << (8 * i);
        }
        return v;
    }

    public int fixed32() {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v |= (buf[checked(pos++)] & 0xff) << (8 * i);
        }
        return v;
    }

    public byte[] bytes() {
        int n = length();
        byte[] out = new byte[n];
        System.arraycopy(buf, pos, out, 0, n);
        pos += n;
        return out;
    }

    public String string() {
        int n = length();
        String s = new String(buf, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    /** The length-delimited field here, as a reader of its own (an embedded message). */
    public ProtoReader message() {
        int n = length();
        ProtoReader r = new ProtoReader(buf, pos, pos + n);
        pos += n;
        return r;
    }

    /** Skips the current field's value, whatever its type. */
    public void skip() {
        switch (wireType()) {
            case VARINT -> varint();
            case FIXED64 -> pos += 8;
            case LENGTH_DELIMITED -> {
                int n = length(); // first: "pos += length()" would add to pos as it was before the length's varint
                pos += n;
            }
            case FIXED32 -> pos += 4;
            default -> throw new IllegalArgumentException("wire type " + wireType() + " (groups are not used by OTLP)");
        }
        checked(pos - 1);
    }

    private int length() {
        long n = varint();
        if (n < 0 || pos + n > end) {
            throw new IllegalArgumentException("length " + n + " at " + pos + " runs past the message end " + end);
        }
        return (int) n;
    }

    private int checked(int at) {
        if (at >= end) {
            throw new IllegalArgumentException("message truncated at " + at);
        }
        return at;
    }
}
