package dev.turnpike.runtime.http;

import dev.turnpike.api.Response;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Responses the proxy writes itself: a plugin's {@link Response}, and the runtime's error answers
 * (400, 413, 414, 431, 500, 502, 503, 504) with a one-line text body.
 */
final class LocalResponses {

    private LocalResponses() {
    }

    /** A plugin's response; its framing and connection headers are the runtime's and are dropped. */
    static FullHttpResponse fromPlugin(Response r) {
        ByteBuf body = r.bodyLength() == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(r.bodyBuffer());
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()), body);
        // Values were checked when the Response was built (it is immutable); Netty checks the names.
        for (Map.Entry<String, String> h : r.headers()) {
            res.headers().add(h.getKey(), h.getValue());
        }
        HopByHop.strip(res.headers());
        res.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.bodyLength());
        return res;
    }

    /** The runtime's own error answer: status and a short reason, as text. */
    static FullHttpResponse error(ByteBufAllocator alloc, int status, String reason) {
        HttpResponseStatus s = HttpResponseStatus.valueOf(status);
        byte[] text = (s.code() + " " + s.reasonPhrase() + (reason == null ? "" : ": " + reason) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        ByteBuf body = alloc.buffer(text.length).writeBytes(text);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, s, body);
        res.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN + "; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, text.length);
        return res;
    }
}
