package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.plugins.loadbalancer.health.BackendHealth;
import dev.turnpike.plugins.loadbalancer.select.ConsistentHash;
import dev.turnpike.plugins.loadbalancer.select.LeastConnections;
import dev.turnpike.plugins.loadbalancer.select.Selector;
import dev.turnpike.plugins.loadbalancer.select.SmoothWeightedRoundRobin;
import java.util.List;

/**
 * One upstream group at run time: its backends with their pre-built answers and health, the
 * selector of its policy, its panic and the guard of its last healthy backend. {@link #choose} runs
 * on event loops, concurrently: no lock, and no allocation (the caller hashes the request's or
 * connection's key). The same logic serves both kinds of chain; only how it says "no backend"
 * differs ({@link NoBackend}).
 */
final class Group {

    final GroupSettings settings;
    private final Peer[] peers;
    private final Outcome[] answers;
    final BackendHealth[] health;
    final Panic panic;
    final EjectionGuard ejections;
    private final Selector selector;
    private final NoBackend none;
    private final LbMetrics metrics;

    /**
     * @param health the state of each backend, in configured order (carried over from the last
     *               configuration for backends that stayed)
     * @param shared what the group's instances share (carried over too)
     * @param chain  the kind of chain the group serves: how it answers when it has no backend
     */
    Group(GroupSettings settings, BackendHealth[] health, GroupState shared, LbMetrics metrics, ChainKind chain) {
        this.settings = settings;
        this.metrics = metrics;
        this.health = health;
        this.panic = new Panic(settings, health, shared, metrics);
        this.ejections = new EjectionGuard(health, shared);
        List<GroupSettings.Backend> backends = settings.backends();
        int n = backends.size();
        peers = new Peer[n];
        answers = new Outcome[n];
        int[] weights = new int[n];
        String[] ids = new String[n];
        for (int i = 0; i < n; i++) {
            peers[i] = backends.get(i).peer();
            answers[i] = Outcome.upstream(peers[i]);
            weights[i] = backends.get(i).weight();
            ids[i] = peers[i].address();
        }
        selector = switch (settings.policy()) {
            case ROUND_ROBIN -> new SmoothWeightedRoundRobin(weights);
            case LEAST_CONN -> new LeastConnections(weights, i -> health[i].active().get());
            case CONSISTENT_HASH -> new ConsistentHash(ids, weights);
        };
        none = NoBackend.of(chain, settings.name());
    }

    String name() {
        return settings.name();
    }

    int size() {
        return peers.length;
    }

    Peer peer(int index) {
        return peers[index];
    }

    /**
     * Picks a backend for the request's (or connection's) next attempt and makes it hold it,
     * returning its answer. In panic, any backend will do; otherwise a healthy one. When there is
     * none: "every backend is down" on a first attempt (unless the group fails open), and "every
     * one tried failed" once backends were tried and none is left ({@link NoBackend}).
     *
     * @param hash the key's hash from {@link HashKey} ({@link Policy#CONSISTENT_HASH}; 0 otherwise)
     */
    Outcome choose(long hash, Attempts a) {
        prepare(a);
        if (panic.now() == Panic.State.PANIC) {
            return spread(hash, a);
        }
        for (int round = 0; round <= peers.length; round++) {
            int i = selector.select(hash, a);
            if (i < 0) {
                break;
            }
            BackendHealth h = health[i];
            if (h.up()) {
                return hold(a, i, false);
            }
            if (h.claimTrial()) {
                return hold(a, i, true);
            }
            if (i >= 64) {
                break; // a lost trial beyond the mask: give up on down backends rather than loop
            }
            a.lostTrials |= 1L << i;
        }
        if (settings.whenAllDown() == WhenAllDown.FAIL_OPEN) {
            // Nothing healthy is left: fail open, as configured, and let the connect decide.
            a.eligible = Attempts.Eligible.ANY;
            int i = selector.select(hash, a);
            if (i >= 0) {
                if (!a.triedAny) {
                    metrics.allDown(name(), WhenAllDown.FAIL_OPEN);
                }
                return hold(a, i, false);
            }
        }
        if (a.triedAny) {
            return none.exhausted();
        }
        // Also the default (PANIC) when no backend has a verdict yet, or when the last ones went
        // down between the panic test and the selection: the next request finds the group in panic.
        metrics.allDown(name(), WhenAllDown.UNAVAILABLE);
        return none.unavailable();
    }

    /**
     * In panic: a backend this request has not tried, healthy or not, by the group's policy. A down
     * one whose trial is due takes it, so that a backend can still come back during a panic.
     */
    private Outcome spread(long hash, Attempts a) {
        a.eligible = Attempts.Eligible.JUDGED;
        int i = selector.select(hash, a);
        if (i < 0) {
            return a.triedAny ? none.exhausted() : none.unavailable();
        }
        if (!a.triedAny) {
            metrics.routedInPanic(name());
            if (panic.noneUp()) {
                metrics.allDown(name(), WhenAllDown.PANIC);
            }
        }
        BackendHealth h = health[i];
        boolean trial = !h.up() && h.selectable(a.nowNanos, a.activeCheck) && h.claimTrial();
        return hold(a, i, trial);
    }

    /** Whether a further attempt has a backend to go to (an untried one that is up, or any in panic or fail-open). */
    boolean hasCandidate(Attempts a) {
        prepare(a);
        if (panic.now() == Panic.State.PANIC) {
            a.eligible = Attempts.Eligible.JUDGED;
        } else if (settings.whenAllDown() == WhenAllDown.FAIL_OPEN) {
            a.eligible = Attempts.Eligible.ANY;
        }
        for (int i = 0; i < peers.length; i++) {
            if (a.test(i)) {
                return true;
            }
        }
        return false;
    }

    /** Sets the request's eligibility test up for this group, now: healthy and untried backends. */
    private void prepare(Attempts a) {
        a.health = health;
        a.nowNanos = System.nanoTime();
        a.activeCheck = settings.check() != null;
        a.eligible = Attempts.Eligible.HEALTHY;
        a.lostTrials = 0;
    }

    private Outcome hold(Attempts a, int i, boolean trial) {
        a.group = this;
        a.current = i;
        a.trial = trial;
        a.markTried(i);
        health[i].active().incrementAndGet();
        return answers[i];
    }
}
