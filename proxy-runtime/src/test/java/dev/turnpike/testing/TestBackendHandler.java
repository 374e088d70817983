package dev.turnpike.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One {@link TestBackend} connection. Requests are handled one at a time: messages of a pipelined
 * request that arrive while a response is still going out are queued (and reading paused) so the
 * responses leave in order. Everything runs on the connection's event loop.
 */
final class TestBackendHandler extends ChannelInboundHandlerAdapter {

    private static final int STREAM_CHUNK = 64 * 1024;

    private final TestBackend backend;
    private final ArrayDeque<Object> queued = new ArrayDeque<>();
    /** A request is complete and its response not yet fully written (forever for /silent). */
    private boolean busy;

    private HttpRequest request;
    private boolean keepAlive;
    private MessageDigest uploadDigest;
    private long bodyBytes;

    private long streamSeed;
    private boolean streamText;
    private long streamPos;
    private long streamRemaining;
    private boolean streaming;
    private byte[] streamScratch;

    TestBackendHandler(TestBackend backend) {
        this.backend = backend;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (busy) {
            queued.add(msg);
            ctx.channel().config().setAutoRead(false);
            return;
        }
        handle(ctx, msg);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (streaming && ctx.channel().isWritable()) {
            pump(ctx);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        streaming = false;
        Object msg;
        while ((msg = queued.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Clients and proxies under test reset connections on purpose: not worth a stack trace.
        ctx.close();
    }

    private void handle(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest head) {
                onHead(ctx, head);
            }
            if (msg instanceof HttpContent content && request != null) {
                onContent(content);
                if (msg instanceof LastHttpContent) {
                    busy = true;
                    respond(ctx);
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onHead(ChannelHandlerContext ctx, HttpRequest head) {
        if (head.decoderResult().isFailure()) {
            request = null;
            busy = true;
            keepAlive = false;
            FullHttpResponse bad = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST);
            bad.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0).set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(bad).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        backend.onRequest(head);
        if (HttpUtil.is100ContinueExpected(head)) {
            // Answered here rather than by HttpServerExpectContinueHandler, which strips the
            // Expect header before lastRequestHeaders() could show whether it was forwarded.
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
        }
        request = head;
        keepAlive = HttpUtil.isKeepAlive(head);
        bodyBytes = 0;
        uploadDigest = "/upload".equals(path()) ? DeterministicBytes.sha256() : null;
    }

    private void onContent(HttpContent content) {
        ByteBuf data = content.content();
        bodyBytes += data.readableBytes();
        if (uploadDigest != null && data.isReadable()) {
            for (ByteBuffer piece : data.nioBuffers()) {
                uploadDigest.update(piece);
            }
        }
    }

    private void respond(ChannelHandlerContext ctx) {
        String path = path();
        String[] parts = path.split("/", 3); // "", first segment, rest
        String first = parts.length > 1 ? parts[1] : "";
        String arg = parts.length > 2 ? parts[2] : "";
        try {
            switch (first) {
                case "silent" -> { } // stays busy: later pipelined requests wait forever too
                case "close" -> ctx.close();
                case "echo" -> sendText(ctx, HttpResponseStatus.OK, echo(), "text/plain; charset=utf-8");
                case "upload" -> sendText(ctx, HttpResponseStatus.OK,
                        "{\"bytes\":" + bodyBytes + ",\"sha256\":\"" + HexFormat.of().formatHex(uploadDigest.digest()) + "\"}",
                        "application/json");
                case "delay" -> ctx.executor().schedule(() -> {
                    if (ctx.channel().isActive()) {
                        sendName(ctx, HttpResponseStatus.OK);
                    }
                }, Long.parseLong(arg), TimeUnit.MILLISECONDS);
                case "status" -> {
                    int code = Integer.parseInt(arg);
                    if (code < 200 || code > 599) {
                        throw new NumberFormatException("status " + code + " outside 200..599");
                    }
                    sendName(ctx, HttpResponseStatus.valueOf(code));
                }
                case "bytes" -> startStream(ctx, Long.parseLong(arg), false);
                case "text" -> startStream(ctx, Long.parseLong(arg), true);
                default -> sendName(ctx, HttpResponseStatus.OK);
            }
        } catch (NumberFormatException e) {
            sendText(ctx, HttpResponseStatus.BAD_REQUEST, "bad argument: " + e.getMessage() + "\n", "text/plain; charset=utf-8");
        }
    }

    private void sendName(ChannelHandlerContext ctx, HttpResponseStatus status) {
        sendText(ctx, status, backend.name(), "text/plain; charset=utf-8");
    }

    private void sendText(ChannelHandlerContext ctx, HttpResponseStatus status, String body, String contentType) {
        boolean bodyless = status.code() == 204 || status.code() == 304;
        byte[] bytes = bodyless ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        boolean head = HttpMethod.HEAD.equals(request.method());
        ByteBuf content = head || bodyless ? Unpooled.EMPTY_BUFFER : ctx.alloc().buffer(bytes.length).writeBytes(bytes);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        if (!bodyless) {
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                    .set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        }
        addCommonHeaders(response);
        ctx.writeAndFlush(response).addListener(f -> finished(ctx, f));
    }

    private void startStream(ChannelHandlerContext ctx, long length, boolean text) {
        if (length < 0) {
            throw new NumberFormatException("negative length " + length);
        }
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, text ? "text/plain; charset=utf-8" : HttpHeaderValues.APPLICATION_OCTET_STREAM)
                .set(HttpHeaderNames.CONTENT_LENGTH, length);
        streamText = text;
        addCommonHeaders(response);
        ctx.write(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        List<String> seed = new QueryStringDecoder(request.uri()).parameters().get("seed");
        streamSeed = seed == null ? DeterministicBytes.DEFAULT_SEED : Long.parseLong(seed.get(0));
        streamPos = 0;
        streamRemaining = HttpMethod.HEAD.equals(request.method()) ? 0 : length;
        streaming = true;
        pump(ctx);
    }

    /** Writes chunks while the channel is writable; channelWritabilityChanged resumes it. */
    private void pump(ChannelHandlerContext ctx) {
        if (streamScratch == null) {
            streamScratch = new byte[STREAM_CHUNK];
        }
        while (streaming && streamRemaining > 0 && ctx.channel().isWritable()) {
            int len = (int) Math.min(STREAM_CHUNK, streamRemaining);
            if (streamText) {
                TextLines.fill(streamPos, streamScratch, 0, len);
            } else {
                DeterministicBytes.fill(streamSeed, streamPos, streamScratch, 0, len);
            }
            ByteBuf chunk = ctx.alloc().buffer(len).writeBytes(streamScratch, 0, len);
            ctx.write(new DefaultHttpContent(chunk)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            streamPos += len;
            streamRemaining -= len;
        }
        if (!streaming) {
            return;
        }
        if (streamRemaining == 0) {
            streaming = false;
            streamScratch = null;
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> finished(ctx, f));
        } else {
            ctx.flush();
        }
    }

    private void addCommonHeaders(HttpResponse response) {
        response.headers().set("X-Backend-Name", backend.name());
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    /** The response is written: close or take the next queued request. */
    private void finished(ChannelHandlerContext ctx, Future<? super Void> write) {
        if (!write.isSuccess() || !keepAlive) {
            ctx.close();
            return;
        }
        busy = false;
        request = null;
        Object next;
        while (!busy && (next = queued.poll()) != null) {
            handle(ctx, next);
        }
        if (!busy) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private String path() {
        return new QueryStringDecoder(request.uri()).path();
    }

    private String echo() {
        StringBuilder out = new StringBuilder()
                .append(request.method()).append(' ').append(request.uri()).append(' ').append(request.protocolVersion()).append('\n');
        for (Map.Entry<String, String> header : request.headers()) {
            out.append(header.getKey()).append(": ").append(header.getValue()).append('\n');
        }
        return out.toString();
    }
}
