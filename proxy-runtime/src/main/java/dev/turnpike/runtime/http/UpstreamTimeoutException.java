package dev.turnpike.runtime.http;

import dev.turnpike.api.Peer;
import java.util.concurrent.TimeUnit;

/** The backend stayed silent for longer than its read timeout. */
public final class UpstreamTimeoutException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    UpstreamTimeoutException(Peer peer, long timeoutNanos) {
        super("backend " + peer + " sent nothing for " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms", null, false, false);
    }
}
