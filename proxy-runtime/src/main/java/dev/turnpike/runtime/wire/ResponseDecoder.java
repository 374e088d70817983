package dev.turnpike.runtime.wire;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;

/**
 * Netty's response decoder, told by the sender whether the request now outstanding was a HEAD
 * (whose response has no body whatever its headers say, RFC 9110 §9.3.2). The upstream side writes
 * its request as bytes, so the decoder cannot learn the method from an encoder as
 * {@code HttpClientCodec}'s does. One request is outstanding at a time on an upstream connection.
 */
public final class ResponseDecoder extends HttpResponseDecoder {

    private boolean headRequest;

    public ResponseDecoder(HttpDecoderConfig config) {
        super(config);
    }

    /** Before a request is written: whether it is a HEAD. */
    public void expectResponseTo(boolean head) {
        this.headRequest = head;
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
        if (headRequest && msg instanceof HttpResponse r && r.status().code() >= 200) {
            return true;
        }
        return super.isContentAlwaysEmpty(msg);
    }
}
