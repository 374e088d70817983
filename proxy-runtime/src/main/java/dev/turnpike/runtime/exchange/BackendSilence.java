package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyError;

/**
 * The two silences one attempt holds against its backend, and why reading from it is paused.
 *
 * <p>The read clock runs only while the proxy is actually reading from the backend: it is armed
 * once the request has been sent, and stops while any reason pauses reading (the client not taking
 * the response, a response filter thinking). A slow client is therefore never the backend's timeout.
 * The write clock runs while the backend takes no request bytes.
 *
 * <p>Only bookkeeping: the attempt switches the channel's reading on and off as {@link #pause} and
 * {@link #resume} say. Confined to the attempt's event loop.
 */
final class BackendSilence {

    /** Reading from the backend is paused for one of these (bits), and runs only when none holds. */
    static final int PAUSE_CLIENT = 1;
    static final int PAUSE_RESPONSE_FILTER = 2;
    static final int PAUSE_BODY_FILTER = 4;

    private final String backend;
    private final Clock read;
    private final Clock write;
    private int pausedBy;

    BackendSilence(String backend, long readTimeoutNanos, long writeTimeoutNanos) {
        this.backend = backend;
        this.read = new Clock(readTimeoutNanos);
        this.write = new Clock(writeTimeoutNanos);
    }

    /** Adds {@code reason}; true when reading was running and must stop now. The read clock stops with it. */
    boolean pause(int reason) {
        int before = pausedBy;
        pausedBy |= reason;
        if (before != 0) {
            return false;
        }
        read.disarm(); // the wait is ours now, not the backend's
        return true;
    }

    /** Drops {@code reason}; true when it was the last one and reading must run again. */
    boolean resume(int reason) {
        if ((pausedBy & reason) == 0) {
            return false;
        }
        pausedBy &= ~reason;
        return pausedBy == 0;
    }

    boolean paused() {
        return pausedBy != 0;
    }

    /** The backend owes bytes from {@code now} on; the deadline to be checked at, or 0 while paused. */
    long awaitRead(long now) {
        return pausedBy != 0 ? 0 : read.arm(now);
    }

    /** Bytes came: a running read clock starts over. */
    void readSome(long now) {
        read.touch(now);
    }

    /** The backend stopped taking request bytes at {@code now}; the deadline to be checked at. */
    long awaitWrite(long now) {
        return write.arm(now);
    }

    /** The backend takes request bytes again. */
    void writable() {
        write.disarm();
    }

    /** Nothing more is owed either way (the response ended, or the attempt let go). */
    void stop() {
        read.disarm();
        write.disarm();
    }

    /** The timeout a silence ran into by {@code now}, or null. */
    ProxyError expired(long now) {
        if (read.expired(now)) {
            return ProxyError.of(ErrorKind.UPSTREAM_TIMEOUT, "backend " + backend + " sent nothing for "
                    + read.timeoutMillis() + " ms", null);
        }
        if (write.expired(now)) {
            return ProxyError.of(ErrorKind.UPSTREAM_TIMEOUT, "backend " + backend + " took no request bytes for "
                    + write.timeoutMillis() + " ms", null);
        }
        return null;
    }

    /** When to look again; 0 when neither clock runs. */
    long deadline() {
        return Clock.earliest(read.deadline(), write.deadline());
    }
}
