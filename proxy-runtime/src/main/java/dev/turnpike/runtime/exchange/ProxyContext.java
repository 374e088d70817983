package dev.turnpike.runtime.exchange;

import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.config.ServerSettings;
import dev.turnpike.runtime.config.UpstreamSettings;
import dev.turnpike.runtime.log.AccessLog;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * What every connection of one server shares: the settings, where the current chain comes from,
 * the metrics, the error log and access log, and whether the server is shutting down. Immutable
 * but for the chain supplier's answer and the shutdown flag.
 */
public final class ProxyContext {

    private final ServerSettings server;
    private final UpstreamSettings upstream;
    private final Duration phaseTimeout;
    private final Duration tunnelIdleTimeout;
    private final Supplier<Chain> chain;
    private final ProxyMetrics metrics;
    private final AccessLog accessLog;
    private final ErrorLog errors = new ErrorLog();
    private final dev.turnpike.runtime.forward.Forwarding forwarding;
    private volatile boolean closing;
    private volatile boolean cutting;
    private final java.util.function.BooleanSupplier closingCheck = () -> closing;

    /**
     * @param phaseTimeout {@code plugins.phase_timeout}: how long a phase's stage may stay pending
     * @param tunnelIdleTimeout {@code tunnel.idle_timeout}
     */
    public ProxyContext(ServerSettings server, UpstreamSettings upstream, Duration phaseTimeout, Supplier<Chain> chain,
                        ProxyMetrics metrics, AccessLog accessLog, Duration tunnelIdleTimeout) {
        this(server, upstream, phaseTimeout, chain, metrics, accessLog, tunnelIdleTimeout, null);
    }

    /** @param forwarding the forward proxy's means, or {@code null} when {@code forward_proxy} is off */
    public ProxyContext(ServerSettings server, UpstreamSettings upstream, Duration phaseTimeout, Supplier<Chain> chain,
                        ProxyMetrics metrics, AccessLog accessLog, Duration tunnelIdleTimeout,
                        dev.turnpike.runtime.forward.Forwarding forwarding) {
        this.forwarding = forwarding;
        this.tunnelIdleTimeout = tunnelIdleTimeout;
        this.server = server;
        this.upstream = upstream;
        this.phaseTimeout = phaseTimeout;
        this.chain = chain;
        this.metrics = metrics;
        this.accessLog = accessLog;
    }

    public AccessLog accessLog() {
        return accessLog;
    }

    public ErrorLog errors() {
        return errors;
    }

    public Duration phaseTimeout() {
        return phaseTimeout;
    }

    /** The forward proxy, or {@code null} when {@code forward_proxy.enabled} is false. */
    public dev.turnpike.runtime.forward.Forwarding forwarding() {
        return forwarding;
    }

    /** {@code tunnel.idle_timeout}. */
    public Duration tunnelIdleTimeout() {
        return tunnelIdleTimeout;
    }

    /** Writes the access log's queued lines and stops its writer (the server's close, after the loops' last requests). */
    public void closeAccessLog() {
        accessLog.close();
    }

    public ServerSettings server() {
        return server;
    }

    public UpstreamSettings upstream() {
        return upstream;
    }

    /**
     * The chain a new request starts with, leased: the request must {@link Chain#release()} it when
     * it ends. Loops only in the instant a reload swaps chains.
     */
    public Chain acquireChain() {
        while (true) {
            Chain c = chain.get();
            if (c.tryAcquire()) {
                return c;
            }
        }
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    /** From now on every response says {@code Connection: close}. */
    public void startClosing() {
        closing = true;
    }

    public boolean closing() {
        return closing;
    }

    /** The grace period is over (or there was none): what is still open is being closed by the proxy. */
    public void startCutting() {
        closing = true;
        cutting = true;
    }

    /** Whether connections closing now are closed by the proxy's shutdown rather than by their peers. */
    public boolean cutting() {
        return cutting;
    }

    /** {@link #closing()} as a supplier, made once rather than per request. */
    java.util.function.BooleanSupplier closingCheck() {
        return closingCheck;
    }
}
