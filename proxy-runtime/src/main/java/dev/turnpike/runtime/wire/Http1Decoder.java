package dev.turnpike.runtime.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * The strict HTTP/1.1 message decoder both sides share: a head is located by {@link HeadScanner},
 * copied once into an array and parsed there by the subclass (request line or status line) and
 * {@link FieldLines}; the body is framed exactly as RFC 9112 §6 and §7.1 say (a length, chunks, or
 * the close) and handed up as slices of the received buffers, never copied.
 *
 * <p>What it hands up are Netty's HTTP message types, so the exchange above is indifferent to who
 * decoded them. Their headers are not validated again: the parser already held every byte to the
 * grammar, which is stricter than Netty's checks.
 *
 * <p>Anything that breaks the rules ends the stream: the decoder hands up one message whose
 * {@code DecoderResult} carries a {@link WireViolation}, then drops every byte that follows, since
 * nothing after a framing error can be told apart from a smuggled message.
 */
abstract class Http1Decoder extends ByteToMessageDecoder {

    /** Headers the parser filled: already held to the grammar, so not validated again. */
    static final HttpHeadersFactory HEADERS = ArrayHeaders.FACTORY;

    /** A chunk-size line with its extensions may take at most this many bytes, CRLF not counted. */
    static final int MAX_CHUNK_LINE = 4096;
    /** All the chunk extensions of one message together (they are read and dropped, never forwarded). */
    static final int MAX_EXTENSION_BYTES = 64 * 1024;

    /** What {@link #message} says follows a head. */
    static final long CHUNKED = -1;
    static final long UNTIL_CLOSE = -2;
    /** Nothing more is to be read: the decoder closes the connection without an answer. */
    static final long CLOSE = -3;
    /**
     * No body, and the bytes after the head may be another protocol (an upgrade request, a 101):
     * the decoder holds them, undecoded, until it is told the connection stays HTTP ({@link #resume})
     * or it is taken out of the pipeline, which hands them on as they came.
     */
    static final long SWITCH = -4;

    private enum State { HEAD, FIXED, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UNTIL_CLOSE, HELD, BROKEN }

    private final HeadScanner head;
    private final int maxFields;
    private final int maxPart;
    private final FieldLines trailerLines = new FieldLines();
    private HttpHeaders trailerFields;
    private int trailerBytes;
    protected final FieldLines fields = new FieldLines();
    private State state = State.HEAD;
    private long remaining;
    private int extensionBytes;

    /** @param maxPart the largest body slice handed up at once (a cap on one part, not on the body) */
    Http1Decoder(HeadScanner head, int maxFields, int maxPart) {
        this.head = head;
        this.maxFields = maxFields;
        this.maxPart = maxPart;
    }

    /**
     * Parses the head in {@code a} (start line up to {@code firstLineEnd}, then field lines, then
     * the empty line) and adds the message to {@code out}. Returns what follows it: a body length
     * (0 for none), {@link #CHUNKED}, {@link #UNTIL_CLOSE} or {@link #CLOSE}.
     *
     * @throws WireViolation when the head breaks the rules; nothing may have been added then
     */
    abstract long message(ChannelHandlerContext ctx, byte[] a, int firstLineEnd, List<Object> out);

    /** The message handed up in place of a head that could not be parsed. */
    abstract HttpObject invalidHead(WireViolation why);

    /** Whether empty lines before a start line are skipped (RFC 9112 §2.2 lets a server do so). */
    boolean skipsLeadingEmptyLines() {
        return false;
    }

    @Override
    protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        State at = state;
        // Undecoded head bytes stay in the cumulation, so a head starts here until it is whole.
        int headStart = in.readerIndex();
        try {
            switch (at) {
                case HEAD -> head(ctx, in, out);
                case FIXED, CHUNK_DATA -> data(in, out, at == State.FIXED);
                case CHUNK_SIZE -> chunkSize(in);
                case CHUNK_END -> chunkEnd(in);
                case TRAILERS -> trailers(in, out);
                case UNTIL_CLOSE -> out.add(new DefaultHttpContent(in.readRetainedSlice(Math.min(in.readableBytes(), maxPart))));
                case HELD -> held(ctx, in);
                case BROKEN -> in.skipBytes(in.readableBytes());
            }
        } catch (WireViolation v) {
            state = State.BROKEN;
            int end = in.writerIndex();
            in.skipBytes(in.readableBytes());
            if (at == State.HEAD) {
                v.headBytes(end - headStart);
                out.add(invalidHead(v));
            } else {
                LastHttpContent broken = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, EmptyHttpHeaders.INSTANCE);
                broken.setDecoderResult(DecoderResult.failure(v));
                out.add(broken);
            }
        }
    }

    /**
     * While held, bytes stay in the cumulation for whoever comes next. A peer that waits for the
     * answer, as it must, sends nothing here; one that floods past a head's worth is cut off.
     */
    private void held(ChannelHandlerContext ctx, ByteBuf in) {
        if (in.readableBytes() > maxFields) {
            // Neither a tunnel's first bytes nor a next request can be trusted now: the stream ends.
            state = State.BROKEN;
            in.skipBytes(in.readableBytes());
            ctx.close();
        }
    }

    /** Whether the decoder holds the bytes after a switching head ({@link #SWITCH}). */
    public final boolean held() {
        return state == State.HELD;
    }

    /**
     * The switch did not happen (the upgrade was answered with an ordinary response): decoding
     * goes on with the next message, starting with any bytes held meanwhile. On the channel's loop.
     */
    public final void resume(ChannelHandlerContext ctx) {
        if (state != State.HELD) {
            return;
        }
        state = State.HEAD;
        if (internalBuffer().isReadable()) {
            try {
                channelRead(ctx, Unpooled.EMPTY_BUFFER);
                channelReadComplete(ctx);
            } catch (Exception e) {
                ctx.fireExceptionCaught(e);
            }
        }
    }

    private void head(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (skipsLeadingEmptyLines() && !skipEmptyLines(in)) {
            return;
        }
        int length = head.scan(in);
        if (length == HeadScanner.MORE) {
            return;
        }
        int firstLineEnd = head.firstLineEnd();
        head.reset();
        byte[] a = new byte[length];
        in.readBytes(a);
        fields.reset();
        extensionBytes = 0;
        long body = message(ctx, a, firstLineEnd, out);
        if (body == 0) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
        } else if (body > 0) {
            remaining = body;
            state = State.FIXED;
        } else if (body == CHUNKED) {
            state = State.CHUNK_SIZE;
        } else if (body == UNTIL_CLOSE) {
            state = State.UNTIL_CLOSE;
        } else if (body == SWITCH) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            state = State.HELD;
        } else {
            state = State.BROKEN;
            ctx.close();
        }
    }

    /** Skips CRLFs before a start line; false when what is there cannot be told yet. */
    private boolean skipEmptyLines(ByteBuf in) {
        while (in.isReadable()) {
            byte b = in.getByte(in.readerIndex());
            if (b == '\n') {
                throw WireViolation.bad("a line ends in a bare LF");
            }
            if (b != '\r') {
                return true;
            }
            if (in.readableBytes() < 2) {
                return false;
            }
            if (in.getByte(in.readerIndex() + 1) != '\n') {
                throw WireViolation.bad("a bare CR before the request line");
            }
            in.skipBytes(2);
        }
        return false;
    }

    private void data(ByteBuf in, List<Object> out, boolean fixed) {
        int n = (int) Math.min(in.readableBytes(), Math.min(remaining, maxPart));
        ByteBuf slice = in.readRetainedSlice(n);
        remaining -= n;
        if (remaining > 0) {
            out.add(new DefaultHttpContent(slice));
        } else if (fixed) {
            out.add(new DefaultLastHttpContent(slice, EmptyHttpHeaders.INSTANCE));
            state = State.HEAD;
        } else {
            out.add(new DefaultHttpContent(slice));
            state = State.CHUNK_END;
        }
    }

    /** {@code chunk-size [ chunk-ext ] CRLF}, with the size exactly {@code 1*HEXDIG} (RFC 9112 §7.1). */
    private void chunkSize(ByteBuf in) {
        int start = in.readerIndex();
        int readable = in.readableBytes();
        int lf = in.indexOf(start, start + Math.min(readable, MAX_CHUNK_LINE + 2), (byte) '\n');
        if (lf < 0) {
            if (readable >= MAX_CHUNK_LINE + 2) {
                throw WireViolation.bad("chunk line longer than " + MAX_CHUNK_LINE + " bytes");
            }
            PartialLines.chunkLine(in, start, start + readable); // refused now if it cannot become valid
            return;
        }
        int cr = lf - 1;
        if (lf == start || in.getByte(cr) != '\r') {
            throw WireViolation.bad("a chunk line ends in a bare LF");
        }
        long size = 0;
        int i = start;
        for (int d; i < cr && (d = Grammar.hex(in.getByte(i))) >= 0; i++) {
            if (size > (Long.MAX_VALUE >> 4)) {
                throw WireViolation.bad("chunk size too large");
            }
            size = (size << 4) | d;
        }
        if (i == start) {
            throw WireViolation.bad("invalid chunk size");
        }
        if (i < cr) {
            extensionBytes += cr - i;
            if (extensionBytes > MAX_EXTENSION_BYTES) {
                throw WireViolation.bad("chunk extensions longer than " + MAX_EXTENSION_BYTES + " bytes");
            }
            ChunkExtensions.check(in, i, cr);
        }
        in.skipBytes(lf + 1 - start);
        if (size == 0) {
            state = State.TRAILERS;
        } else {
            remaining = size;
            state = State.CHUNK_DATA;
        }
    }

    private void chunkEnd(ByteBuf in) {
        int r = in.readerIndex();
        if (in.getByte(r) != '\r' || (in.readableBytes() >= 2 && in.getByte(r + 1) != '\n')) {
            throw WireViolation.bad("chunk data not followed by CRLF");
        }
        if (in.readableBytes() >= 2) {
            in.skipBytes(2);
            state = State.CHUNK_SIZE;
        }
    }

    /**
     * The trailer section, a line at a time: the body before it has already gone on, so a line
     * that breaks the rules must be refused as soon as it is complete, not when the section ends.
     */
    private void trailers(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int room = maxFields - trailerBytes + 2;
        int lf = in.indexOf(start, start + Math.min(in.readableBytes(), room), (byte) '\n');
        if (lf < 0) {
            if (in.readableBytes() >= room) {
                throw WireViolation.bad("trailer section too large");
            }
            PartialLines.fieldLine(in, start, start + in.readableBytes());
            return;
        }
        if (lf == start || in.getByte(lf - 1) != '\r') {
            throw WireViolation.bad("a line ends in a bare LF");
        }
        int length = lf + 1 - start;
        if (length == 2) {
            in.skipBytes(2);
            out.add(trailerFields == null ? LastHttpContent.EMPTY_LAST_CONTENT
                    : new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, trailerFields));
            trailerFields = null;
            trailerBytes = 0;
            state = State.HEAD;
            return;
        }
        byte[] line = new byte[length];
        in.readBytes(line);
        if (trailerFields == null) {
            trailerFields = HEADERS.newHeaders();
        }
        trailerLines.parse(line, 0, length, trailerFields);
        trailerBytes += length;
    }

    /**
     * While held, the peer's end of input (a half-close right after its switching head) is passed
     * on without the decoder's own end-of-input handling, which would drop the held bytes: they
     * belong to the tunnel, and so does the half-close.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (state == State.HELD && evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
            ctx.fireUserEventTriggered(evt);
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        if (state == State.UNTIL_CLOSE) {
            // The close is how this body ends (RFC 9112 §6.3, 8.): it is complete.
            state = State.BROKEN;
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        // Anywhere else a close is premature; the handler after this one hears of it as the close.
    }
}
