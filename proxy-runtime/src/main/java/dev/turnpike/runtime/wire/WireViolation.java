package dev.turnpike.runtime.wire;

import io.netty.handler.codec.DecoderException;

/**
 * What the strict decoders found wrong with a message, carried in its {@code DecoderResult}: the
 * status a client is answered with (400, 414, 431, 505; a backend's is always 502) and a reason
 * written for the client. Stackless: it is an answer, not a bug, and a flood of bad requests must
 * not cost a stack walk each.
 */
public final class WireViolation extends DecoderException {

    private final int status;
    /** Bytes of the head the decoder had when it refused it (set for a request head; -1 otherwise). */
    private int headBytes = -1;

    WireViolation(int status, String reason) {
        super(reason, null);
        this.status = status;
    }

    static WireViolation bad(String reason) {
        return new WireViolation(400, reason);
    }

    public int headBytes() {
        return headBytes;
    }

    void headBytes(int n) {
        headBytes = n;
    }

    /** The status for a request; a response from a backend that breaks the rules is a 502 whatever this says. */
    public int status() {
        return status;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
