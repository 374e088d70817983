package dev.turnpike.testkit.phases;

import dev.turnpike.api.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Turns what a phase returned into the decision the runtime acts on, failing as the runtime fails
 * the request (an {@link AssertionError} that says why): {@code null}, an outcome the phase does
 * not allow, or a {@code later} stage that fails, completes with {@code null} or another
 * {@code later}, or is not complete within the phase timeout.
 *
 * <p>A pending stage is driven deterministically: the loop's ready tasks run, then the virtual
 * clock moves to the next scheduled task, up to the timeout. Only when the loop has nothing queued
 * is another thread waited for, in real time (up to the timeout), running what it hands back.
 */
final class Stages {

    /** How long the harness waits, between runs of the loop, for a thread of the plugin's own. */
    private static final long POLL_MILLIS = 5;

    private final FakeEventLoop loop;
    private final Duration timeout;
    private final String pluginId;

    Stages(FakeEventLoop loop, Duration timeout, String pluginId) {
        this.loop = loop;
        this.timeout = timeout;
        this.pluginId = pluginId;
    }

    Outcome resolve(Phase phase, Outcome returned) {
        Outcome o = check(phase, returned);
        if (o.kind() != Outcome.Kind.LATER) {
            return o;
        }
        CompletableFuture<Outcome> f = o.stage().toCompletableFuture();
        drive(f);
        if (!f.isDone()) {
            throw fail(phase, "returned a later stage still pending after plugins.phase_timeout (" + timeout.toMillis()
                    + " ms): the runtime fails the request with 500");
        }
        Outcome done;
        try {
            done = f.get();
        } catch (ExecutionException | java.util.concurrent.CancellationException e) {
            AssertionError a = fail(phase, "completed its stage exceptionally: the runtime fails the request with 500");
            a.initCause(e instanceof ExecutionException ? e.getCause() : e);
            throw a;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw fail(phase, "interrupted while its stage was pending");
        }
        if (done != null && done.kind() == Outcome.Kind.LATER) {
            throw fail(phase, "completed its stage with another later: the runtime fails the request with 500");
        }
        return check(phase, done);
    }

    private Outcome check(Phase phase, Outcome o) {
        if (o == null) {
            throw fail(phase, "returned null: the runtime fails the request with 500");
        }
        if (!phase.allows(o.kind())) {
            throw fail(phase, "returned " + o + ", which " + phase.label() + " does not allow (it allows "
                    + phase.allowed() + "): the runtime fails the request with 500");
        }
        return o;
    }

    private void drive(CompletableFuture<Outcome> f) {
        long virtualDeadline = loop.nanoTime() + timeout.toNanos();
        long realDeadline = System.nanoTime() + timeout.toNanos();
        while (!f.isDone()) {
            loop.runReady();
            if (f.isDone()) {
                return;
            }
            List<FakeEventLoop.Task> pending = loop.pending();
            if (!pending.isEmpty() && pending.get(0).dueNanos() <= virtualDeadline) {
                loop.advance(Duration.ofNanos(pending.get(0).dueNanos() - loop.nanoTime()));
                continue;
            }
            if (!pending.isEmpty() || System.nanoTime() >= realDeadline) {
                return; // only later tasks are left, or another thread did not answer in time
            }
            try {
                f.get(POLL_MILLIS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // nothing yet: run what another thread may have handed to the loop, and wait again
            } catch (ExecutionException | java.util.concurrent.CancellationException e) {
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private AssertionError fail(Phase phase, String what) {
        return new AssertionError("plugin " + pluginId + ", " + phase.label() + ": " + what);
    }
}
