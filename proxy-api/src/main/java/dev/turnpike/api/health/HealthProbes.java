package dev.turnpike.api.health;

import dev.turnpike.api.Peer;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Non-blocking health probes of backends, run by the runtime on its event loops, for a plugin's
 * active health checks ({@link dev.turnpike.api.PluginContext#probes()}).
 *
 * <p>Every probe completes, successfully or not, within its timeout: a backend that accepts and
 * then says nothing cannot hold a probe open. The returned stage never completes exceptionally; a
 * failed probe is a {@link ProbeResult} with {@link ProbeResult#failure()} set. It completes on an
 * event loop: what a plugin chains onto it must not block. A probe opens its own connection (never a
 * pooled one) and closes it.
 *
 * <p>Thread-safe; may be called from any thread.
 */
public interface HealthProbes {

    /** Opens a TCP connection to {@code peer} and closes it: healthy when the connection opens in time. */
    CompletionStage<ProbeResult> tcp(Peer peer, Duration timeout);

    /**
     * Sends one HTTP/1.1 request to {@code peer} ({@code Connection: close}) and completes when the
     * response head arrives, with its status. Whether that status is healthy is the caller's call.
     */
    CompletionStage<ProbeResult> http(Peer peer, HttpProbe probe);
}
