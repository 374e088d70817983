package dev.turnpike.runtime.exchange;

import dev.turnpike.runtime.wire.ConnectionTokens;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The response side of one attempt, as a state machine over what the decoder hands up: which part
 * means what, given what came before. It decides nothing else (the attempt acts on each event), so
 * the rules of a response's shape are in one place: informational heads before the final one, a
 * body that ends once, nothing after it, and nothing without a head.
 */
final class ResponseReader {

    /** Where the response stands. */
    enum Receive { AWAITING, INTERIM, BODY, COMPLETE }

    /** What one decoded part is. */
    enum Event {
        /** The final response head (status 200 or more). */
        HEAD,
        /** An informational head to pass on (102, 103, ...). */
        INTERIM,
        /** A part that is dropped: 100 Continue (the proxy's own to answer), or the end of an informational response. */
        IGNORED,
        /** A part of the final response's body. */
        CONTENT,
        /** The final response's last part. */
        END,
        /** 101 Switching Protocols to an upgrade request: a final head, after which the connection leaves HTTP. */
        SWITCHED,
        /** Not a valid next part: a decoder failure, a head in the middle of a body, content without a head. */
        INVALID
    }

    private final boolean headRequest;
    private Receive state = Receive.AWAITING;
    private boolean keepAlive;

    /** @param headRequest whether the request was a HEAD (then its response has no body whatever it says) */
    ResponseReader(boolean headRequest) {
        this.headRequest = headRequest;
    }

    Receive state() {
        return state;
    }

    /** Whether the final head has arrived. */
    boolean answered() {
        return state == Receive.BODY || state == Receive.COMPLETE;
    }

    /**
     * Whether the backend lets the connection carry another request: it did not say close, and the
     * body was framed (a close-delimited body ends with the connection).
     */
    boolean keepAlive() {
        return keepAlive;
    }

    Event accept(HttpObject msg) {
        if (msg.decoderResult().isFailure()) {
            return Event.INVALID;
        }
        if (msg instanceof HttpResponse r) {
            return head(r);
        }
        boolean last = msg instanceof LastHttpContent;
        switch (state) {
            case INTERIM:
                if (last) {
                    state = Receive.AWAITING; // room for the next head
                }
                return Event.IGNORED;
            case BODY:
                if (last) {
                    state = Receive.COMPLETE;
                    return Event.END;
                }
                return Event.CONTENT;
            default:
                return Event.INVALID;
        }
    }

    private Event head(HttpResponse r) {
        if (state != Receive.AWAITING) {
            return Event.INVALID; // a second head before the first one's body ended
        }
        int code = r.status().code();
        if (code >= 200) {
            state = Receive.BODY;
            keepAlive = ConnectionTokens.keepAlive(r) && (headRequest || code == 204 || code == 304
                    || r.headers().contains(HttpHeaderNames.CONTENT_LENGTH)
                    || r.headers().contains(HttpHeaderNames.TRANSFER_ENCODING));
            return Event.HEAD;
        }
        if (code == 101) {
            // The decoder let it through only for an upgrade request; its empty end follows.
            state = Receive.BODY;
            return Event.SWITCHED;
        }
        state = Receive.INTERIM;
        return code == 100 ? Event.IGNORED : Event.INTERIM;
    }
}
