package dev.turnpike.runtime.http;

/** The client went away before its response was complete. */
public final class ClientAbortException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    ClientAbortException(Throwable cause) {
        super("client closed the connection", cause, false, false);
    }
}
