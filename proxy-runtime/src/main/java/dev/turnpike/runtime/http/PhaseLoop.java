package dev.turnpike.runtime.http;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Session;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.Chain.Phase;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import io.netty.channel.EventLoop;

/**
 * Runs one phase over the chain's plugins, one after the other, as a resumable loop: a plugin that
 * answers now lets the loop go straight on; one that answers {@link Outcome#later} parks the loop,
 * and the stage's completion resumes it on the request's event loop at the next plugin. Sync and
 * async plugins go through the same code, and nothing ever blocks.
 */
final class PhaseLoop {

    /** What the loop reports to: the exchange that owns the request. */
    interface Owner {
        /** The phase ended: {@code decision} is a RESPOND or UPSTREAM outcome and {@code by} its plugin, or both null. */
        void phaseDone(Phase phase, Outcome decision, ChainLink by);

        /** A plugin failed the phase (threw, returned null or a forbidden outcome, or its stage failed). */
        void phaseFailed(Phase phase, ChainLink by, Throwable cause);

        /**
         * Whether the request no longer needs its phases: the client went away, or the request was
         * answered meanwhile (a 413 while a stage was pending). Then the loop stops: no later plugin
         * of the phase is called for a request that is over.
         */
        boolean abandoned();

        /** Called instead of resuming when {@link #abandoned()} said so while a stage was pending. */
        void resumedAfterAbandon();
    }

    private final Chain chain;
    private final Object[] contexts;
    private final Session session;
    private final EventLoop loop;
    private final Owner owner;
    private final ProxyMetrics metrics;
    private boolean parked;

    PhaseLoop(Chain chain, Object[] contexts, Session session, EventLoop loop, Owner owner, ProxyMetrics metrics) {
        this.metrics = metrics;
        this.chain = chain;
        this.contexts = contexts;
        this.session = session;
        this.loop = loop;
        this.owner = owner;
    }

    /** Whether a stage is pending (the request waits on a plugin). */
    boolean parked() {
        return parked;
    }

    /** Runs {@code phase} from its first plugin. */
    void run(Phase phase) {
        runFrom(phase, 0);
    }

    private void runFrom(Phase phase, int index) {
        int[] positions = chain.positions(phase);
        for (int i = index; i < positions.length; i++) {
            ChainLink link = chain.link(positions[i]);
            Outcome outcome;
            long start = System.nanoTime();
            try {
                outcome = invoke(phase, link, contexts[positions[i]]);
            } catch (Throwable t) {
                rethrowIfFatal(t);
                owner.phaseFailed(phase, link, t);
                return;
            } finally {
                metrics.pluginTime(link.pluginId(), phase.ordinal(), phase.label(), System.nanoTime() - start);
            }
            if (!handle(phase, i, link, outcome)) {
                return;
            }
        }
        owner.phaseDone(phase, null, null);
    }

    /** Returns true to go on with the next plugin. */
    private boolean handle(Phase phase, int index, ChainLink link, Outcome outcome) {
        if (outcome == null) {
            owner.phaseFailed(phase, link, new IllegalStateException("returned null instead of an Outcome"));
            return false;
        }
        switch (outcome.kind()) {
            case PROCEED:
                return true;
            case LATER:
                park(phase, index, link, outcome);
                return false;
            default:
                if (!allowed(phase, outcome.kind())) {
                    owner.phaseFailed(phase, link, new IllegalStateException(
                            "returned " + outcome + ", which " + phase.label() + " does not allow"));
                } else {
                    owner.phaseDone(phase, outcome, link);
                }
                return false;
        }
    }

    private void park(Phase phase, int index, ChainLink link, Outcome outcome) {
        parked = true;
        outcome.stage().whenComplete((next, error) -> {
            if (loop.inEventLoop()) {
                resume(phase, index, link, next, error);
            } else {
                loop.execute(() -> resume(phase, index, link, next, error));
            }
        });
    }

    private void resume(Phase phase, int index, ChainLink link, Outcome next, Throwable error) {
        parked = false;
        if (owner.abandoned()) {
            owner.resumedAfterAbandon();
            return;
        }
        if (error != null) {
            owner.phaseFailed(phase, link, error);
            return;
        }
        if (handle(phase, index, link, next)) {
            runFrom(phase, index + 1);
        }
    }

    private Outcome invoke(Phase phase, ChainLink link, Object ctx) {
        switch (phase) {
            case REQUEST_FILTER: return link.plugin().requestFilter(session, ctx);
            case UPSTREAM_PEER: return link.plugin().upstreamPeer(session, ctx);
            case UPSTREAM_REQUEST_FILTER: return link.plugin().upstreamRequestFilter(session, ctx);
            case RESPONSE_FILTER: return link.plugin().responseFilter(session, ctx);
            default: throw new IllegalArgumentException(phase + " is not run by the phase loop");
        }
    }

    private static boolean allowed(Phase phase, Outcome.Kind kind) {
        switch (kind) {
            case RESPOND: return phase != Phase.RESPONSE_FILTER;
            case UPSTREAM: return phase == Phase.UPSTREAM_PEER;
            default: return true;
        }
    }

    static void rethrowIfFatal(Throwable t) {
        if (t instanceof VirtualMachineError) {
            throw (VirtualMachineError) t;
        }
    }
}
