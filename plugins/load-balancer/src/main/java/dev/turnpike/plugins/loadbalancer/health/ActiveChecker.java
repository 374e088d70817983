package dev.turnpike.plugins.loadbalancer.health;

import dev.turnpike.api.EventLoopExecutor;
import dev.turnpike.api.Peer;
import dev.turnpike.api.health.HealthProbes;
import dev.turnpike.api.health.ProbeResult;
import dev.turnpike.api.metrics.Counter;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The active health checks of one group: every {@code interval} each backend is probed through the
 * runtime's {@link HealthProbes}, on the event loop the plugin was given, and the verdict goes to
 * its {@link BackendHealth}.
 *
 * <p>Each backend has its own schedule, started at a random point of the first interval so checks
 * of many backends do not all fire at once. A probe still running when its next turn comes (a
 * backend that accepts and hangs) makes that turn a no-op rather than a second probe: checks never
 * pile up, and a hanging backend delays nobody else's. Every probe ends within its timeout.
 */
public final class ActiveChecker {

    /** One backend to check. */
    public record Target(Peer peer, BackendHealth health) {
    }

    private final String group;
    private final List<Target> targets;
    private final HealthCheckSettings settings;
    private final HealthProbes probes;
    private final EventLoopExecutor loop;
    private final BackendHealth.Listener listener;
    private final Counter checks;
    private final ScheduledFuture<?>[] pending;
    private final AtomicBoolean[] inFlight;
    /** Whose checks each target's results counted for before this checker took them over. */
    private final Object[] previousOwners;
    private volatile boolean stopped;

    public ActiveChecker(String group, List<Target> targets, HealthCheckSettings settings, HealthProbes probes,
                         EventLoopExecutor loop, BackendHealth.Listener listener, Counter checks) {
        this.group = group;
        this.targets = List.copyOf(targets);
        this.settings = settings;
        this.probes = probes;
        this.loop = loop;
        this.listener = listener;
        this.checks = checks;
        this.pending = new ScheduledFuture<?>[targets.size()];
        this.inFlight = new AtomicBoolean[targets.size()];
        this.previousOwners = new Object[targets.size()];
        for (int i = 0; i < inFlight.length; i++) {
            inFlight[i] = new AtomicBoolean();
        }
    }

    /** Takes over the checks of every target (from an older instance's checker) and starts probing. */
    public void start() {
        long intervalMillis = settings.interval().toMillis();
        for (int i = 0; i < targets.size(); i++) {
            previousOwners[i] = targets.get(i).health().ownChecks(this);
            int index = i;
            long first = intervalMillis <= 1 ? 0 : ThreadLocalRandom.current().nextLong(intervalMillis);
            synchronized (pending) {
                pending[i] = loop.schedule(() -> tick(index), first, TimeUnit.MILLISECONDS);
            }
        }
    }

    /**
     * Stops scheduling and hands the checks back to their previous owner where this checker still
     * owns them; a probe in flight completes, and its result is dropped.
     */
    public void stop() {
        stopped = true;
        for (int i = 0; i < targets.size(); i++) {
            targets.get(i).health().releaseChecks(this, previousOwners[i]);
        }
        synchronized (pending) {
            for (ScheduledFuture<?> f : pending) {
                if (f != null) {
                    f.cancel(false);
                }
            }
        }
    }

    private void tick(int index) {
        if (stopped) {
            return;
        }
        synchronized (pending) {
            if (stopped) {
                return;
            }
            pending[index] = loop.schedule(() -> tick(index), settings.interval().toMillis(), TimeUnit.MILLISECONDS);
        }
        if (!inFlight[index].compareAndSet(false, true)) {
            return; // the last probe of this backend still runs (up to its timeout): skip this turn
        }
        Target target = targets.get(index);
        CompletionStage<ProbeResult> probe;
        try {
            // The very peer requests go to, TLS settings and all: the runtime probes a TLS backend
            // over TLS (SNI, verification, client certificate), so a backend whose handshake fails is
            // found down by its check, not first by real traffic.
            probe = settings.http() != null
                    ? probes.http(target.peer(), settings.http())
                    : probes.tcp(target.peer(), settings.timeout());
        } catch (RuntimeException e) {
            inFlight[index].set(false);
            record(target, false, "cannot start the check: " + e);
            return;
        }
        probe.whenComplete((result, error) -> {
            inFlight[index].set(false);
            if (stopped) {
                return;
            }
            if (error != null) {
                record(target, false, error.toString());
            } else {
                record(target, verdict(result), describe(result));
            }
        });
    }

    private boolean verdict(ProbeResult r) {
        return r.completed() && (settings.http() == null || settings.accepts(r.status()));
    }

    private String describe(ProbeResult r) {
        String kind = settings.http() != null ? "HTTP" : "TCP";
        if (!r.completed()) {
            return kind + " check: " + r.failure();
        }
        return settings.http() != null
                ? "HTTP check got " + r.status() + " in " + r.elapsed().toMillis() + "ms"
                : "TCP check connected in " + r.elapsed().toMillis() + "ms";
    }

    private void record(Target target, boolean ok, String detail) {
        checks.inc(group, target.health().address(), ok ? "ok" : "failed");
        target.health().checked(this, ok, detail, settings, System.nanoTime(), listener);
    }
}
