package dev.turnpike.runtime.wire;

import io.netty.buffer.ByteBuf;
import io.netty.util.AsciiString;
import io.netty.util.CharsetUtil;

/**
 * Writes an HTTP/1.1 request head and chunked framing straight into a buffer: the upstream side
 * sends bytes, so the request head the plugins edited (an overlay on the client's) never has to be
 * copied into a Netty message first. Values are written as ISO-8859-1, which keeps the obs-text
 * bytes a client sent as they were.
 */
public final class HeadWriter {

    private static final byte[] HTTP11_CRLF = " HTTP/1.1\r\n".getBytes(CharsetUtil.US_ASCII);
    private static final byte[] COLON_SP = {':', ' '};
    private static final short CRLF = ('\r' << 8) | '\n';
    private static final byte[] LAST_CHUNK = "0\r\n".getBytes(CharsetUtil.US_ASCII);

    private HeadWriter() {
    }

    /** {@code METHOD SP target SP HTTP/1.1 CRLF}. */
    public static void requestLine(ByteBuf out, CharSequence method, CharSequence target) {
        write(out, method);
        out.writeByte(' ');
        write(out, target);
        out.writeBytes(HTTP11_CRLF);
    }

    /** {@code name: value CRLF}. */
    public static void header(ByteBuf out, CharSequence name, CharSequence value) {
        write(out, name);
        out.writeBytes(COLON_SP);
        write(out, value);
        out.writeShort(CRLF);
    }

    /** The empty line that ends a head. */
    public static void end(ByteBuf out) {
        out.writeShort(CRLF);
    }

    /** A chunk's size line, {@code <hex> CRLF}, for a chunk of {@code length} (more than 0) bytes. */
    public static void chunkHeader(ByteBuf out, int length) {
        write(out, Integer.toHexString(length));
        out.writeShort(CRLF);
    }

    /** The CRLF after a chunk's data. */
    public static void chunkEnd(ByteBuf out) {
        out.writeShort(CRLF);
    }

    /** The last chunk, {@code 0 CRLF}; trailers (or none) and {@link #end} follow. */
    public static void lastChunk(ByteBuf out) {
        out.writeBytes(LAST_CHUNK);
    }

    private static void write(ByteBuf out, CharSequence s) {
        if (s instanceof AsciiString a) {
            out.writeBytes(a.array(), a.arrayOffset(), a.length());
        } else {
            out.writeCharSequence(s, CharsetUtil.ISO_8859_1);
        }
    }
}
