package dev.turnpike.runtime.upstream;

import io.netty.handler.codec.http.HttpObject;

/**
 * The exchange using an upstream connection, as that connection's handler sees it. All calls come
 * on the connection's event loop, which is also the client connection's.
 */
public interface UpstreamListener {

    /** A decoded response part; ownership passes to the listener (it must release or forward it). */
    void onUpstreamRead(HttpObject msg);

    /** The end of one read batch: the moment to flush what was forwarded to the client. */
    void onUpstreamReadComplete();

    /** The connection closed (or failed) while the listener held it. */
    void onUpstreamClosed(Throwable cause);

    /** The connection's writability changed (backpressure for the request body). */
    void onUpstreamWritabilityChanged(boolean writable);
}
