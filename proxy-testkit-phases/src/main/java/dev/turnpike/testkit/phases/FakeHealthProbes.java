package dev.turnpike.testkit.phases;

import dev.turnpike.api.Peer;
import dev.turnpike.api.health.HealthProbes;
import dev.turnpike.api.health.HttpProbe;
import dev.turnpike.api.health.ProbeResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@link HealthProbes} that probe nothing: each call is recorded and its stage stays open until the
 * test completes it ({@link Call#complete}, {@link #completeAll}), so an active health check is
 * tested step by step without a backend. As the runtime's, a stage never completes exceptionally:
 * a failed probe is a {@link ProbeResult} with a failure ({@link #refused()}). Thread-safe.
 */
public final class FakeHealthProbes implements HealthProbes {

    /**
     * One probe asked for.
     *
     * @param peer    the backend probed
     * @param http    what an HTTP probe sends; {@code null} for a TCP probe
     * @param timeout the probe's timeout
     * @param result  the stage handed to the plugin
     */
    public record Call(Peer peer, HttpProbe http, Duration timeout, CompletableFuture<ProbeResult> result) {

        /** Completes the probe with {@code r} (the plugin's callbacks run now, on this thread). */
        public void complete(ProbeResult r) {
            result.complete(Objects.requireNonNull(r, "result"));
        }

        /** Whether the test has completed it. */
        public boolean done() {
            return result.isDone();
        }
    }

    private final List<Call> calls = new ArrayList<>();

    @Override
    public CompletionStage<ProbeResult> tcp(Peer peer, Duration timeout) {
        return add(new Call(Objects.requireNonNull(peer, "peer"), null, Objects.requireNonNull(timeout, "timeout"),
                new CompletableFuture<>()));
    }

    @Override
    public CompletionStage<ProbeResult> http(Peer peer, HttpProbe probe) {
        return add(new Call(Objects.requireNonNull(peer, "peer"), probe, probe.timeout(), new CompletableFuture<>()));
    }

    private synchronized CompletionStage<ProbeResult> add(Call c) {
        calls.add(c);
        // The plugin gets a view it cannot complete itself: only the test answers a probe.
        return c.result().minimalCompletionStage();
    }

    /** Every probe asked for so far, oldest first. */
    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** The probes of the backend at {@code address} ({@code host:port}). */
    public synchronized List<Call> of(String address) {
        List<Call> out = new ArrayList<>();
        for (Call c : calls) {
            if (c.peer().address().equals(address)) {
                out.add(c);
            }
        }
        return out;
    }

    /** The probes not yet completed. */
    public synchronized List<Call> open() {
        List<Call> out = new ArrayList<>();
        for (Call c : calls) {
            if (!c.done()) {
                out.add(c);
            }
        }
        return out;
    }

    /** Completes every open probe with {@code result}; returns how many. */
    public int completeAll(ProbeResult result) {
        List<Call> open = open();
        open.forEach(c -> c.complete(result));
        return open.size();
    }

    /** A TCP probe that connected. */
    public static ProbeResult connected() {
        return new ProbeResult(0, Duration.ofMillis(3), null);
    }

    /** An HTTP probe whose response head had this status. */
    public static ProbeResult status(int status) {
        return new ProbeResult(status, Duration.ofMillis(3), null);
    }

    /** A probe whose connection was refused. */
    public static ProbeResult refused() {
        return new ProbeResult(0, Duration.ofMillis(1), "connection refused");
    }

    /** A probe that timed out after {@code timeout}. */
    public static ProbeResult timedOut(Duration timeout) {
        return new ProbeResult(0, timeout, "timed out after " + timeout.toMillis() + "ms");
    }
}
