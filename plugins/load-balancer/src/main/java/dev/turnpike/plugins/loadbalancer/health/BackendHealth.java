package dev.turnpike.plugins.loadbalancer.health;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What is known about one backend of one group: whether it takes traffic, why, and how many
 * requests it holds now. One object per (group, address), kept in the plugin's carried state, so it
 * outlives a configuration reload that leaves the backend in its group.
 *
 * <p>Read on every request (one volatile read when the backend is up); written by health-check
 * results and by request outcomes, from any event loop. State changes are {@code synchronized}
 * (they are rare) and each one is reported exactly once to the {@link Listener}.
 */
public final class BackendHealth {

    /** Where a backend stands. */
    public enum State {
        /** Takes traffic. */
        UP,
        /** Taken out by a health check or by passive health. */
        DOWN,
        /**
         * Down from the start ({@code initial: down}) and not yet judged by its check: the operator
         * asked for no traffic before a check passes, so not even a group in panic sends it any.
         */
        AWAITING_CHECK
    }

    /** Told about every change of state, once, with the reason. */
    public interface Listener {
        void changed(BackendHealth backend, boolean up, String reason);

        /**
         * Passive health would have ejected the backend, but its group kept it: it is the group's
         * last healthy backend. Told at most once per cool-down, so a backend that keeps failing
         * does not flood the log.
         */
        default void kept(BackendHealth backend, String reason) {
        }

        /**
         * A backend awaiting its first check failed it: it takes no traffic, as before, so this is
         * no change of state; but it is now known to be down, which is what a panic counts.
         */
        default void judged(BackendHealth backend, String reason) {
        }
    }

    /**
     * The group's say over a passive ejection. Ejections of one group's backends go through one
     * lock, so two backends failing at once cannot both see the other as still healthy.
     */
    public interface Ejections {
        /** Runs {@code eject} unless it would leave {@code backend}'s group with no healthy backend; whether it ran. */
        boolean ejectUnlessLast(BackendHealth backend, Runnable eject);
    }

    private final String group;
    private final String address;
    /** Requests holding this backend now (least connections reads it). */
    private final AtomicInteger active = new AtomicInteger();
    private volatile State state;
    private volatile String reason;

    // Active checks: results in a row, and which checker may record them (the newest instance's).
    private int checkSuccesses;
    private int checkFailures;
    private volatile Object checkOwner;

    // Passive health: failures in a row, and the ejection.
    private final AtomicInteger passiveFailures = new AtomicInteger();
    private volatile long ejectedUntilNanos;
    private final AtomicBoolean trialInFlight = new AtomicBoolean();
    /**
     * Until when a refused ejection is not told again (see {@link Listener#kept}), once one was:
     * the clock has no "never" value to start from. Unsynchronised: at worst two event loops tell it
     * at the same moment.
     */
    private volatile long keptQuietUntilNanos;
    private volatile boolean keptReported;

    public BackendHealth(String group, String address, boolean initiallyUp) {
        this.group = group;
        this.address = address;
        this.state = initiallyUp ? State.UP : State.AWAITING_CHECK;
        this.reason = initiallyUp ? "initial state" : "initial state: down until its health check passes";
    }

    public String group() {
        return group;
    }

    public String address() {
        return address;
    }

    public boolean up() {
        return state == State.UP;
    }

    public State state() {
        return state;
    }

    /** Why the backend is in its state now. */
    public String reason() {
        return reason;
    }

    public AtomicInteger active() {
        return active;
    }

    /**
     * Whether a request may be sent here now. A down backend is offered again only when there is no
     * active check to bring it back and its cool-down is over: then as a single trial request,
     * which the caller must {@linkplain #claimTrial claim}.
     */
    public boolean selectable(long nowNanos, boolean activeCheck) {
        if (state == State.UP) {
            return true;
        }
        return !activeCheck && nowNanos - ejectedUntilNanos >= 0 && !trialInFlight.get();
    }

    /** For a selected backend that is down: takes the one trial; false when another request has it. */
    public boolean claimTrial() {
        return trialInFlight.compareAndSet(false, true);
    }

    // ------------------------------------------------------------------ active checks

    /**
     * Makes {@code checker} the one whose results count (the newest instance's, after a reload) and
     * returns the one that was, to hand the checks back with {@link #releaseChecks}.
     */
    public synchronized Object ownChecks(Object checker) {
        Object before = checkOwner;
        checkOwner = checker;
        return before;
    }

    /**
     * A checker stops: if it still owns the checks, they go back to {@code previous}. That is the
     * instance still serving when a refused reload stops the new one; when the new one was accepted
     * and later stopped, it no longer owns anything and nothing changes.
     */
    public synchronized void releaseChecks(Object checker, Object previous) {
        if (checkOwner == checker) {
            checkOwner = previous;
        }
    }

    /**
     * One active check's verdict. Ignored unless {@code checker} owns the checks; successes are also
     * ignored while a passive ejection cools down (the backend sits out its cool-down either way).
     */
    public synchronized void checked(Object checker, boolean ok, String detail, HealthCheckSettings settings,
                                     long nowNanos, Listener listener) {
        if (checker != checkOwner) {
            return;
        }
        if (ok) {
            checkFailures = 0;
            if (nowNanos - ejectedUntilNanos < 0) {
                return;
            }
            checkSuccesses++;
            if (state != State.UP && checkSuccesses >= settings.rise()) {
                change(true, "health check passed " + checkSuccesses + " time(s) in a row (" + detail + ")", listener);
            }
        } else {
            checkSuccesses = 0;
            checkFailures++;
            if (checkFailures < settings.fall()) {
                return;
            }
            String why = "health check failed " + checkFailures + " time(s) in a row (" + detail + ")";
            if (state == State.UP) {
                change(false, why, listener);
            } else if (state == State.AWAITING_CHECK) {
                state = State.DOWN;
                reason = why;
                listener.judged(this, why);
            }
        }
    }

    // ------------------------------------------------------------------ passive health

    /**
     * A request to this backend failed. Ejects it once {@code max_fails} failures came in a row, or
     * at once when it was the trial request; unless {@code ejections} refuses because it is the
     * group's last healthy backend (then it stays in, and each further failure asks again).
     */
    public void failed(String detail, boolean trial, PassiveSettings passive, long nowNanos, Listener listener,
                       Ejections ejections) {
        if (!passive.enabled()) {
            if (trial) {
                trialInFlight.set(false); // passive health was turned off meanwhile: the next request may try
            }
            return;
        }
        int n = passiveFailures.incrementAndGet();
        if (!trial && n < passive.maxFails()) {
            return;
        }
        String why = trial ? "trial request failed (" + detail + ")"
                : n + " request(s) in a row failed, the last: " + detail;
        if (ejections.ejectUnlessLast(this, () -> eject(why, passive, nowNanos, listener))) {
            return;
        }
        // Kept: hold the streak at the threshold, so the next failure asks again (another backend may
        // be back by then) without the count growing for as long as the backend keeps failing.
        passiveFailures.set(passive.maxFails());
        if (!keptReported || nowNanos - keptQuietUntilNanos >= 0) {
            keptReported = true;
            keptQuietUntilNanos = nowNanos + passive.cooldown().toNanos();
            listener.kept(this, why + "; not ejected: it is the last healthy backend of its group");
        }
    }

    /** A request to this backend succeeded: the failure streak ends, and a trial brings it back. */
    public void succeeded(boolean trial, Listener listener) {
        if (passiveFailures.get() != 0) {
            passiveFailures.set(0); // a plain read first: the common case writes nothing
        }
        if (trial) {
            synchronized (this) {
                trialInFlight.set(false);
                if (state != State.UP) {
                    change(true, "trial request succeeded after the cool-down", listener);
                }
            }
        }
    }

    /** A trial request ended without a verdict (answered locally, client gone): the next may try. */
    public void trialAbandoned() {
        trialInFlight.set(false);
    }

    private synchronized void eject(String why, PassiveSettings passive, long nowNanos, Listener listener) {
        ejectedUntilNanos = nowNanos + passive.cooldown().toNanos();
        passiveFailures.set(0);
        trialInFlight.set(false);
        checkSuccesses = 0;
        if (state == State.UP) {
            change(false, why + "; ejected for " + passive.cooldown().toMillis() + "ms", listener);
        }
    }

    private void change(boolean nowUp, String why, Listener listener) {
        state = nowUp ? State.UP : State.DOWN;
        reason = why;
        if (nowUp) {
            checkFailures = 0;
        } else {
            checkSuccesses = 0;
        }
        listener.changed(this, nowUp, why);
    }

    @Override
    public String toString() {
        return address + " in group " + group + (state == State.UP ? " (up)" : " (" + state + ": " + reason + ")");
    }
}
