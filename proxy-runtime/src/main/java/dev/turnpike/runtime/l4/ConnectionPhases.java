package dev.turnpike.runtime.l4;

import dev.turnpike.api.ConnectionPlugin;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.chain.ConnectionChain;
import dev.turnpike.runtime.chain.ConnectionPhase;
import dev.turnpike.runtime.chain.PluginFailures;
import dev.turnpike.runtime.exchange.ErrorLog;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the connection phases of one tcp connection over its listener's chain: the two that may
 * decide later ({@code connection_filter}, {@code upstream_peer}) as a resumable loop, and the
 * synchronous ones (contexts, {@code fail_to_connect}, {@code logging}). A parked stage has
 * {@code plugins.phase_timeout}; past it the phase fails and the stage's late completion is
 * ignored. Every call is timed per plugin; a plugin that throws becomes a {@link ProxyError}
 * naming it. Confined to the connection's event loop.
 */
final class ConnectionPhases {

    /** What the loop reports to. */
    interface Owner {
        /** The phase ended: {@code decision} is an UPSTREAM or REJECT outcome and {@code by} its plugin, or both null. */
        void decided(ConnectionPhase phase, Outcome decision, ChainLink by);

        /** A plugin failed the phase. */
        void failed(ConnectionPhase phase, ProxyError error);
    }

    /** What the fail_to_connect hooks said: whether any asked for a retry, or the failure of one that threw. */
    record Asked(boolean retry, ProxyError thrown) {
    }

    private final ConnectionChain chain;
    private final Object[] contexts;
    private final TcpSession session;
    private final EventLoop loop;
    private final Owner owner;
    private final ProxyMetrics metrics;
    private final long timeoutNanos;
    /** Bumped by each park and by {@link #abandon}: a completion that finds another value is stale. */
    private int parkId;
    private ScheduledFuture<?> timer;

    ConnectionPhases(ConnectionChain chain, TcpSession session, EventLoop loop, Owner owner, ProxyMetrics metrics,
                     long timeoutNanos) {
        this.chain = chain;
        this.contexts = new Object[chain.size()];
        this.session = session;
        this.loop = loop;
        this.owner = owner;
        this.metrics = metrics;
        this.timeoutNanos = timeoutNanos;
    }

    /** Makes each plugin's per-connection context; the failure of one that throws, or null. */
    ProxyError newContexts() {
        for (int p : chain.positions(ConnectionPhase.NEW_CONTEXT)) {
            try {
                contexts[p] = chain.plugin(p).newConnectionContext(session);
            } catch (Throwable t) {
                PluginFailures.rethrowIfFatal(t);
                return failure(chain.link(p), ConnectionPhase.NEW_CONTEXT, t);
            }
        }
        return null;
    }

    /** Runs {@code connection_filter} or {@code upstream_peer} from its first plugin. */
    void run(ConnectionPhase phase) {
        runFrom(phase, 0);
    }

    /** The connection is over: a stage still pending no longer matters. */
    void abandon() {
        parkId++;
        cancelTimer();
    }

    private void runFrom(ConnectionPhase phase, int index) {
        int[] positions = chain.positions(phase);
        for (int i = index; i < positions.length; i++) {
            int p = positions[i];
            ChainLink link = chain.link(p);
            Outcome outcome;
            long start = System.nanoTime();
            try {
                outcome = phase == ConnectionPhase.CONNECTION_FILTER
                        ? chain.plugin(p).connectionFilter(session, contexts[p])
                        : chain.plugin(p).upstreamPeer(session, contexts[p]);
            } catch (Throwable t) {
                PluginFailures.rethrowIfFatal(t);
                owner.failed(phase, failure(link, phase, t));
                return;
            } finally {
                timed(link, phase, start);
            }
            if (!handle(phase, i, link, outcome)) {
                return;
            }
        }
        owner.decided(phase, null, null);
    }

    /** Returns true to go on with the next plugin. */
    private boolean handle(ConnectionPhase phase, int index, ChainLink link, Outcome outcome) {
        if (outcome == null) {
            owner.failed(phase, failure(link, phase, "returned null instead of an Outcome"));
            return false;
        }
        switch (outcome.kind()) {
            case PROCEED:
                return true;
            case LATER:
                park(phase, index, link, outcome);
                return false;
            case REJECT:
                owner.decided(phase, outcome, link);
                return false;
            case UPSTREAM:
                if (phase == ConnectionPhase.UPSTREAM_PEER) {
                    owner.decided(phase, outcome, link);
                    return false;
                }
                // fall through: a filter does not choose the backend
            default:
                owner.failed(phase, failure(link, phase, "returned " + outcome + ", which " + phase.label()
                        + " of a tcp listener does not allow"));
                return false;
        }
    }

    private void park(ConnectionPhase phase, int index, ChainLink link, Outcome outcome) {
        int id = ++parkId;
        timer = loop.schedule(() -> {
            if (id == parkId) {
                parkId++;
                owner.failed(phase, ProxyError.plugin(link.pluginId(), phase.label(), "plugin " + link.pluginId()
                        + " did not complete its " + phase.label() + " stage within " + timeoutNanos / 1_000_000
                        + " ms (plugins.phase_timeout)", null));
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
        outcome.stage().whenComplete((next, error) -> {
            if (loop.inEventLoop()) {
                resume(id, phase, index, link, next, error);
            } else {
                loop.execute(() -> resume(id, phase, index, link, next, error));
            }
        });
    }

    private void resume(int id, ConnectionPhase phase, int index, ChainLink link, Outcome next, Throwable error) {
        if (id != parkId) {
            return; // timed out or abandoned meanwhile
        }
        cancelTimer();
        if (error != null) {
            owner.failed(phase, failure(link, phase, error));
            return;
        }
        if (next != null && next.kind() == Outcome.Kind.LATER) {
            owner.failed(phase, failure(link, phase, "completed its stage with another later outcome"));
            return;
        }
        if (handle(phase, index, link, next)) {
            runFrom(phase, index + 1);
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** fail_to_connect over every plugin that has it, until one throws. */
    Asked failToConnect(UpstreamFailure failure) {
        boolean retry = false;
        for (int p : chain.positions(ConnectionPhase.FAIL_TO_CONNECT)) {
            ChainLink link = chain.link(p);
            long start = System.nanoTime();
            try {
                retry |= chain.plugin(p).failToConnect(session, contexts[p], failure);
            } catch (Throwable t) {
                PluginFailures.rethrowIfFatal(t);
                return new Asked(false, failure(link, ConnectionPhase.FAIL_TO_CONNECT, t));
            } finally {
                timed(link, ConnectionPhase.FAIL_TO_CONNECT, start);
            }
        }
        return new Asked(retry, null);
    }

    /** logging for every plugin that has it; a throw is logged and counted, and the others still run. */
    void logging(ErrorLog errors) {
        for (int p : chain.positions(ConnectionPhase.LOGGING)) {
            ChainLink link = chain.link(p);
            long start = System.nanoTime();
            try {
                chain.plugin(p).logging(session, contexts[p]);
            } catch (Throwable t) {
                PluginFailures.rethrowIfFatal(t);
                ProxyError e = failure(link, ConnectionPhase.LOGGING, t);
                metrics.pluginFailed(link.pluginId(), ConnectionPhase.LOGGING.label());
                errors.report(e, session);
            } finally {
                timed(link, ConnectionPhase.LOGGING, start);
            }
        }
    }

    private void timed(ChainLink link, ConnectionPhase phase, long start) {
        metrics.pluginTime(link.pluginId(), phase.metricIndex(), phase.label(), System.nanoTime() - start);
    }

    private static ProxyError failure(ChainLink link, ConnectionPhase phase, Throwable cause) {
        return PluginFailures.thrown(link, phase.label(), cause);
    }

    private static ProxyError failure(ChainLink link, ConnectionPhase phase, String what) {
        return PluginFailures.broke(link, phase.label(), what);
    }
}
