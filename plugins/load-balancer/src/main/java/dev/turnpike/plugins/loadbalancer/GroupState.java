package dev.turnpike.plugins.loadbalancer;

import java.util.concurrent.atomic.AtomicReference;

/**
 * What every instance of one group shares across configuration reloads, kept in the plugin's
 * carried state beside its backends' health: the lock its passive ejections take, and the panic
 * state last reported, with the instance that reports it (the newest, as with health checks).
 */
final class GroupState {

    /**
     * Held while a backend of the group is ejected passively. Shared by the instances, because the
     * one still serving its last requests may eject too.
     */
    final Object ejections = new Object();

    /** What the log and the {@code lb_panic} gauge last said of the group. */
    final AtomicReference<Panic.State> reported = new AtomicReference<>(Panic.State.CALM);

    private volatile Object reporter;

    /** Makes {@code panic} the one that reports, returning the one that did (for {@link #releaseReports}). */
    synchronized Object ownReports(Object panic) {
        Object before = reporter;
        reporter = panic;
        return before;
    }

    /** {@code panic}'s instance stops: if it still reports, {@code previous} does again (a refused reload). */
    synchronized void releaseReports(Object panic, Object previous) {
        if (reporter == panic) {
            reporter = previous;
        }
    }

    /** Read on a request that sees the state change: a volatile read, no lock. */
    boolean reports(Object panic) {
        return reporter == panic;
    }
}
