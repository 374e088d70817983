package dev.turnpike.runtime.exchange;

import dev.turnpike.api.BodyChunk;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Session;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.Chain.Phase;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.chain.PluginFailures;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import io.netty.channel.EventLoop;
import java.util.function.LongConsumer;

/**
 * Runs one phase over the chain's plugins, one after the other, as a resumable loop: a plugin that
 * answers now lets the loop go straight on; one that answers {@link Outcome#later} parks the loop,
 * and the stage's completion resumes it on the request's event loop at the next plugin. Sync and
 * async plugins go through the same code, and nothing ever blocks.
 *
 * <p>A parked stage has {@code plugins.phase_timeout}: past it, {@link #check} fails the phase and
 * the stage's late completion is ignored, so a stage that never completes cannot pin the request
 * (and through its chain lease, a whole retired generation of plugins).
 *
 * <p>One loop runs one phase at a time. A request has one for its head phases and one per body
 * direction, because a body chunk may be filtered while a head phase is parked.
 */
final class PhaseLoop {

    /** What the loop reports to. */
    interface Owner {
        /** The phase ended: {@code decision} is a RESPOND or UPSTREAM outcome and {@code by} its plugin, or both null. */
        void phaseDone(Phase phase, Outcome decision, ChainLink by);

        /** A plugin failed the phase: threw, returned null or a forbidden outcome, failed its stage or let it time out. */
        void phaseFailed(Phase phase, ProxyError error);

        /**
         * Whether the request no longer needs its phases (answered, or finished): then a stage that
         * completes is ignored, and no later plugin is called for a request that is over.
         */
        boolean over();
    }

    private final Chain chain;
    private final Object[] contexts;
    private final Session session;
    private final EventLoop loop;
    private final Owner owner;
    private final ProxyMetrics metrics;
    private final long timeoutNanos;
    private final LongConsumer due;
    private BodyChunk chunk;

    private boolean parked;
    /** Tells a stage's completion apart from an earlier park's that timed out. */
    private int parkId;
    private Phase parkedPhase;
    private ChainLink parkedLink;
    private long parkedAt;

    /**
     * @param due told the deadline of each park, so the connection's timer looks at it in time
     */
    PhaseLoop(Chain chain, Object[] contexts, Session session, EventLoop loop, Owner owner, ProxyMetrics metrics,
              long timeoutNanos, LongConsumer due) {
        this.chain = chain;
        this.contexts = contexts;
        this.session = session;
        this.loop = loop;
        this.owner = owner;
        this.metrics = metrics;
        this.timeoutNanos = timeoutNanos;
        this.due = due;
    }

    /** Whether a stage is pending (the request waits on a plugin). */
    boolean parked() {
        return parked;
    }

    /** Runs {@code phase} from its first plugin. */
    void run(Phase phase) {
        runFrom(phase, 0);
    }

    /** Runs a body phase over {@code chunk}: each plugin sees what the one before it left. */
    void run(Phase phase, BodyChunk chunk) {
        this.chunk = chunk;
        runFrom(phase, 0);
    }

    /**
     * The connection's timer asks: fails a stage pending past the phase timeout. Returns when to
     * look again (0: nothing parked).
     */
    long check(long now) {
        if (!parked) {
            return 0;
        }
        if (owner.over()) {
            parked = false; // the request was answered meanwhile: the stage no longer matters
            parkId++;
            return 0;
        }
        long deadline = parkedAt + timeoutNanos;
        if (now - deadline < 0) {
            return deadline;
        }
        parked = false;
        parkId++; // the stage may still complete; that completion finds a newer id and is dropped
        owner.phaseFailed(parkedPhase, ProxyError.plugin(parkedLink.pluginId(), parkedPhase.label(),
                "plugin " + parkedLink.pluginId() + " did not complete its " + parkedPhase.label() + " stage within "
                        + timeoutNanos / 1_000_000 + " ms (plugins.phase_timeout)", null));
        return 0;
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
                owner.phaseFailed(phase, failure(link, phase, t));
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
            owner.phaseFailed(phase, failure(link, phase, "returned null instead of an Outcome"));
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
                    owner.phaseFailed(phase, failure(link, phase,
                            "returned " + outcome + ", which " + phase.label() + " does not allow"));
                } else {
                    owner.phaseDone(phase, outcome, link);
                }
                return false;
        }
    }

    private void park(Phase phase, int index, ChainLink link, Outcome outcome) {
        parked = true;
        int id = ++parkId;
        parkedPhase = phase;
        parkedLink = link;
        parkedAt = System.nanoTime();
        due.accept(parkedAt + timeoutNanos);
        outcome.stage().whenComplete((next, error) -> {
            if (loop.inEventLoop()) {
                resume(id, phase, index, link, next, error);
            } else {
                loop.execute(() -> resume(id, phase, index, link, next, error));
            }
        });
    }

    private void resume(int id, Phase phase, int index, ChainLink link, Outcome next, Throwable error) {
        if (id != parkId || !parked) {
            return; // timed out meanwhile: the phase has failed already
        }
        parked = false;
        if (owner.over()) {
            return;
        }
        if (error != null) {
            owner.phaseFailed(phase, failure(link, phase, error));
            return;
        }
        if (next != null && next.kind() == Outcome.Kind.LATER) {
            owner.phaseFailed(phase, failure(link, phase, "completed its stage with another later outcome"));
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
            case REQUEST_BODY_FILTER: return link.plugin().requestBodyFilter(session, ctx, chunk);
            case RESPONSE_FILTER: return link.plugin().responseFilter(session, ctx);
            case RESPONSE_BODY_FILTER: return link.plugin().responseBodyFilter(session, ctx, chunk);
            default: throw new IllegalArgumentException(phase + " is not run by the phase loop");
        }
    }

    private static boolean allowed(Phase phase, Outcome.Kind kind) {
        switch (kind) {
            case RESPOND: return phase != Phase.RESPONSE_FILTER && phase != Phase.RESPONSE_BODY_FILTER;
            case UPSTREAM: return phase == Phase.UPSTREAM_PEER;
            case REJECT: return false; // a connection phase's outcome: an HTTP phase answers with respond
            default: return true;
        }
    }

    /** A plugin's failure in a phase, as the request records it. */
    static ProxyError failure(ChainLink link, Phase phase, Throwable cause) {
        return PluginFailures.thrown(link, phase.label(), cause);
    }

    static ProxyError failure(ChainLink link, Phase phase, String what) {
        return PluginFailures.broke(link, phase.label(), what);
    }

    static void rethrowIfFatal(Throwable t) {
        PluginFailures.rethrowIfFatal(t);
    }
}
