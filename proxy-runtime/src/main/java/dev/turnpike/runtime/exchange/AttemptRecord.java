package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.runtime.log.UpstreamTry;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.tls.TlsFailure;
import java.time.Duration;

/**
 * What one attempt leaves behind: its access-log record ({@link UpstreamTry}) and the backend's
 * metrics, written at the same moments so the two tell the same story. Confined to the attempt's
 * event loop.
 */
final class AttemptRecord {

    private final ProxyMetrics metrics;
    private final String backend;
    private final UpstreamTry log;
    private long connectStart;

    AttemptRecord(ProxyMetrics metrics, String backend) {
        this.metrics = metrics;
        this.backend = backend;
        this.log = new UpstreamTry(backend, System.nanoTime());
    }

    UpstreamTry log() {
        return log;
    }

    /** A new connection is being made. */
    void connecting() {
        connectStart = System.nanoTime();
    }

    /** The new connection is up; how long it took. */
    Duration connected() {
        long took = System.nanoTime() - connectStart;
        metrics.upstream().connected(backend, took);
        return Duration.ofNanos(took);
    }

    void connectFailed(ErrorKind kind) {
        metrics.upstream().connectFailed(backend, kind);
        ended(kind);
    }

    /** The attempt has its connection ({@code reused}: a pooled one) and sends the request on it. */
    void sending(boolean reused) {
        log.connected(System.nanoTime(), reused);
        metrics.upstream().requestSent(backend, reused);
    }

    /** The response head arrived. */
    void answered(int status) {
        log.answered(status, System.nanoTime());
        metrics.upstream().responded(backend, status, log.headerNanos());
    }

    /** The attempt is over: {@code error} null when its response completed. */
    void ended(ErrorKind error) {
        log.ended(System.nanoTime(), error);
    }

    void timedOut() {
        metrics.upstream().timedOut(backend);
    }

    /** A TLS 1.3 backend refused the handshake with its first read (see {@link UpstreamErrors#refusedAfterHandshake}). */
    void handshakeRefused(Throwable cause) {
        metrics.tls().handshakeFailed("upstream", TlsFailure.of(cause).label());
    }
}
