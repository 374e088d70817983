package dev.turnpike.runtime.exchange;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * Where the request body goes: the current {@link Attempt}, which frames it as its head said. A
 * seam, so the request side can be tested without a backend.
 */
interface BodySink {

    /** The head that went out before the body: its framing and declared length. */
    UpstreamHead head();

    /** A piece of the body; ownership passes. */
    void writeBody(ByteBuf data);

    /** The end of the body, with the trailers of a chunked one (or null). */
    void endBody(HttpHeaders trailers);

    /** Whether the receiver takes bytes now (false: stop reading from the client). */
    boolean writable();
}
