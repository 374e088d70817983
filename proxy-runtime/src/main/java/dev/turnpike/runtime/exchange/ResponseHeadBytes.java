package dev.turnpike.runtime.exchange;

import dev.turnpike.runtime.wire.HeadWriter;
import dev.turnpike.runtime.wire.WireResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;

/**
 * A backend's response head as the client gets it when no plugin edited it: the bytes it came in,
 * less its hop-by-hop lines, then what the runtime adds, in the order the field-by-field path
 * ({@link ResponseWriter}'s framing, then its connection fields) would put them at the end.
 */
final class ResponseHeadBytes {

    private ResponseHeadBytes() {
    }

    /**
     * @param chunked    whether the runtime frames the body in chunks
     * @param connection the Connection value the runtime sends, or null for none
     */
    static ByteBuf asReceived(ByteBufAllocator alloc, WireResponse r, boolean chunked, CharSequence connection,
                              String requestId) {
        ByteBuf out = HeadWriter.scratch();
        r.writeReceived(out);
        if (chunked) {
            HeadWriter.header(out, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (connection != null) {
            HeadWriter.header(out, HttpHeaderNames.CONNECTION, connection);
        }
        HeadWriter.header(out, RequestIds.HEADER, requestId);
        HeadWriter.end(out);
        return HeadWriter.copyOut(alloc, out);
    }
}
