package dev.turnpike.runtime.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import io.netty.util.CharsetUtil;

/**
 * Writes HTTP/1.1 heads and chunked framing straight into buffers: both sides send bytes, so the
 * request head the plugins edited (an overlay on the client's) never has to be copied into a Netty
 * message first, and a response needs no general-purpose encoder between the writer and the socket. Values are written as ISO-8859-1, which keeps the obs-text
 * bytes a client sent as they were.
 */
public final class HeadWriter {

    private static final byte[] HTTP11_CRLF = " HTTP/1.1\r\n".getBytes(CharsetUtil.US_ASCII);
    private static final byte[] HTTP11_SP = "HTTP/1.1 ".getBytes(CharsetUtil.US_ASCII);
    private static final byte[] COLON_SP = {':', ' '};
    private static final short CRLF = ('\r' << 8) | '\n';
    private static final byte[] LAST_CHUNK = "0\r\n".getBytes(CharsetUtil.US_ASCII);
    /** The CRLF after each chunk's data, shared: duplicates of it are never released. */
    private static final ByteBuf CHUNK_END = Unpooled.unreleasableBuffer(
            Unpooled.wrappedBuffer(new byte[] {'\r', '\n'}).asReadOnly());

    /** Unpooled and never released: one per thread for its life, not a buffer the leak detector follows. */
    private static final FastThreadLocal<ByteBuf> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected ByteBuf initialValue() {
            return new UnpooledHeapByteBuf(UnpooledByteBufAllocator.DEFAULT, 2048, Integer.MAX_VALUE);
        }
    };

    private HeadWriter() {
    }

    /** {@code METHOD SP target SP HTTP/1.1 CRLF}. */
    public static void requestLine(ByteBuf out, CharSequence method, CharSequence target) {
        write(out, method);
        out.writeByte(' ');
        write(out, target);
        out.writeBytes(HTTP11_CRLF);
    }

    /** {@code HTTP/1.1 SP code SP reason CRLF}: the proxy speaks HTTP/1.1 to its clients whatever the backend spoke. */
    public static void statusLine(ByteBuf out, HttpResponseStatus status) {
        out.writeBytes(HTTP11_SP);
        write(out, status.codeAsText());
        out.writeByte(' ');
        write(out, status.reasonPhrase());
        out.writeShort(CRLF);
    }

    /** A whole response head: status line, fields, the empty line. */
    public static ByteBuf responseHead(ByteBufAllocator alloc, HttpResponse r) {
        ByteBuf out = scratch();
        statusLine(out, r.status());
        fields(out, r.headers());
        end(out);
        return copyOut(alloc, out);
    }

    /**
     * This thread's buffer to build a head in, emptied. A head is some dozens of small writes:
     * into a heap array they are plain array copies, where into a pooled direct buffer each one
     * went through a bounds check and an NIO view (measured: 6% of the samples with the shipped
     * chain, more when the buffer had to grow). {@link #copyOut} then makes one copy of the
     * whole. Not re-entrant: build one head, copy it out, then the next.
     */
    public static ByteBuf scratch() {
        return SCRATCH.get().clear();
    }

    /** The head built in {@link #scratch()}, in a buffer of its own size from {@code alloc}. */
    public static ByteBuf copyOut(ByteBufAllocator alloc, ByteBuf scratch) {
        ByteBuf out = alloc.buffer(scratch.readableBytes());
        out.writeBytes(scratch);
        return out;
    }

    /** Every field of {@code headers}, in order. */
    public static void fields(ByteBuf out, HttpHeaders headers) {
        var it = headers.iteratorCharSequence();
        while (it.hasNext()) {
            var e = it.next();
            header(out, e.getKey(), e.getValue());
        }
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

    /**
     * {@code data} (more than 0 bytes; ownership passes) framed as one chunk: {@code <hex> CRLF},
     * the bytes, CRLF, as one buffer, so a chunk is one write whatever its size.
     */
    public static ByteBuf chunk(ByteBufAllocator alloc, ByteBuf data) {
        ByteBuf size = alloc.buffer(10);
        write(size, Integer.toHexString(data.readableBytes()));
        size.writeShort(CRLF);
        return Unpooled.wrappedBuffer(size, data, CHUNK_END.duplicate());
    }

    /** The last chunk, {@code 0 CRLF}, then the trailers (or none) and the empty line that ends the message. */
    public static ByteBuf lastChunk(ByteBufAllocator alloc, HttpHeaders trailers) {
        ByteBuf out = alloc.buffer(16);
        out.writeBytes(LAST_CHUNK);
        if (trailers != null) {
            fields(out, trailers);
        }
        end(out);
        return out;
    }

    private static void write(ByteBuf out, CharSequence s) {
        if (s instanceof AsciiString a) {
            out.writeBytes(a.array(), a.arrayOffset(), a.length());
        } else {
            out.writeCharSequence(s, CharsetUtil.ISO_8859_1);
        }
    }
}
