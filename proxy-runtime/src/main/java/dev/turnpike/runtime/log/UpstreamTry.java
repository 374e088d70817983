package dev.turnpike.runtime.log;

import dev.turnpike.api.ErrorKind;

/**
 * What one upstream attempt came to, for the access log ({@code upstream_addr},
 * {@code upstream_status} and the three upstream times, one value per attempt like nginx's). The
 * engine fills it in as the attempt goes, on the request's event loop; the log's writer reads it
 * only after the request has finished, through the queue that hands the line over (which orders
 * those writes before its reads).
 */
public final class UpstreamTry {

    final String address;
    final long startNanos;
    /** Nanoseconds to the connection, 0 for a pooled one, -1 when it never connected. */
    long connectNanos = -1;
    /** Nanoseconds from the start to the response head, -1 without one. */
    long headerNanos = -1;
    /** Nanoseconds from the start to the end of the response (or the failure), -1 while it runs. */
    long endNanos = -1;
    int status;
    ErrorKind error;

    public UpstreamTry(String address, long startNanos) {
        this.address = address;
        this.startNanos = startNanos;
    }

    public void connected(long atNanos, boolean pooled) {
        connectNanos = pooled ? 0 : atNanos - startNanos;
    }

    public void answered(int status, long atNanos) {
        this.status = status;
        headerNanos = atNanos - startNanos;
    }

    /** The attempt is over; {@code error} null when its response completed. Only the first call counts. */
    public void ended(long atNanos, ErrorKind error) {
        if (endNanos < 0) {
            endNanos = atNanos - startNanos;
            this.error = error;
        }
    }

    /** Time to the response head, for the metric; -1 without one. */
    public long headerNanos() {
        return headerNanos;
    }
}
