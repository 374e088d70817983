package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.plugins.loadbalancer.health.BackendHealth;

/**
 * Whether a group is in panic: fewer of its backends healthy than {@code panic_threshold} asks.
 * A group in panic spreads its traffic over all its backends, healthy or not, with its policy, as
 * Envoy does: when most backends are out, the health verdicts are more likely wrong (a shared
 * dependency, a check that lies) than the few left able to carry everything, and piling all
 * traffic on them is how one failure becomes an outage.
 *
 * <p>The share counts the backends that have a verdict: one still waiting for its first check
 * ({@code initial: down}) is neither healthy nor counted, and gets no traffic even in panic.
 * With no healthy backend at all, the group is in panic only when {@code when_all_down} is left to
 * its default; written out, it decides instead.
 *
 * <p>Evaluated on every request, without a lock or an allocation (a scan of volatile reads that
 * stops as soon as enough backends are up). Each entering and leaving is reported once (log and
 * {@code lb_panic} gauge) by the newest instance of the group; it also hears every change of its
 * backends' state, so that a change is reported even when no request comes.
 */
final class Panic implements BackendHealth.Listener {

    /** The group's state as to panic. */
    enum State { CALM, PANIC }

    private final String group;
    private final BackendHealth[] health;
    private final PanicThreshold threshold;
    private final boolean panicsWhenAllDown;
    private final GroupState shared;
    private final LbMetrics metrics;
    /** Who reported before this instance took over (given back if this one stops first). */
    private Object previousReporter;

    Panic(GroupSettings settings, BackendHealth[] health, GroupState shared, LbMetrics metrics) {
        this.group = settings.name();
        this.health = health;
        this.threshold = settings.panicThreshold();
        this.panicsWhenAllDown = settings.whenAllDown() == WhenAllDown.PANIC;
        this.shared = shared;
        this.metrics = metrics;
    }

    /** The state now; reports it first if it changed (and this instance reports). */
    State now() {
        State s = evaluate();
        if (s != shared.reported.get() && shared.reports(this)) {
            report(s);
        }
        return s;
    }

    private State evaluate() {
        if (!threshold.enabled()) {
            return State.CALM;
        }
        int n = health.length;
        int healthy = 0;
        int counted = 0;
        for (int i = 0; i < n; i++) {
            BackendHealth.State s = health[i].state();
            if (s == BackendHealth.State.UP) {
                healthy++;
                if (!threshold.below(healthy, n)) {
                    return State.CALM; // enough whatever the others are: the usual case ends here
                }
            }
            if (s != BackendHealth.State.AWAITING_CHECK) {
                counted++;
            }
        }
        if (healthy == 0) {
            return panicsWhenAllDown && counted > 0 ? State.PANIC : State.CALM;
        }
        return threshold.below(healthy, counted) ? State.PANIC : State.CALM;
    }

    private void report(State s) {
        State was = shared.reported.get();
        if (was == s || !shared.reported.compareAndSet(was, s)) {
            return; // another event loop reported it
        }
        int healthy = 0;
        int counted = 0;
        for (BackendHealth h : health) {
            healthy += h.up() ? 1 : 0;
            counted += h.state() != BackendHealth.State.AWAITING_CHECK ? 1 : 0;
        }
        metrics.panic(group, s == State.PANIC, healthy, counted, health.length, threshold);
    }

    /** Whether no backend of the group is up now (for the all-down counter; panic path only). */
    boolean noneUp() {
        for (BackendHealth h : health) {
            if (h.up()) {
                return false;
            }
        }
        return true;
    }

    /** This instance reports from now on (called once its configuration can no longer be refused). */
    void takeOverReports() {
        previousReporter = shared.ownReports(this);
        metrics.publishPanic(group, shared.reported.get() == State.PANIC);
    }

    /** This instance stops: the reports go back to the instance before it, if it still has them. */
    void releaseReports() {
        shared.releaseReports(this, previousReporter);
    }

    @Override
    public void changed(BackendHealth backend, boolean up, String reason) {
        metrics.changed(backend, up, reason);
        now();
    }

    @Override
    public void kept(BackendHealth backend, String reason) {
        metrics.kept(backend, reason);
    }

    @Override
    public void judged(BackendHealth backend, String reason) {
        now();
    }
}
