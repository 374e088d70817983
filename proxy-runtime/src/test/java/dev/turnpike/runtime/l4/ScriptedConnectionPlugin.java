package dev.turnpike.runtime.l4;

import dev.turnpike.api.ConnectionPlugin;
import dev.turnpike.api.ConnectionSession;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.UpstreamFailure;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A connection plugin whose phases are the test's lambdas, and which records what its phases saw:
 * the failures told to fail_to_connect and a snapshot of each connection at logging.
 */
final class ScriptedConnectionPlugin implements ProxyPlugin<Void>, ConnectionPlugin<int[]> {

    /** What logging saw of one connection. */
    record Logged(String listener, String peer, boolean relayed, String error, String rejectedBy, String reason,
                  String end, int attempts, long fromClient, long toClient, boolean ended) {
    }

    Function<ConnectionSession, Outcome> filter = s -> Outcome.proceed();
    /** Called with the session and the number of times upstream_peer ran for it before. */
    BiFunction<ConnectionSession, Integer, Outcome> peer = (s, n) -> Outcome.proceed();
    BiFunction<ConnectionSession, UpstreamFailure, Boolean> retry = (s, f) -> false;
    final List<UpstreamFailure> failures = new CopyOnWriteArrayList<>();
    final List<Logged> logged = new CopyOnWriteArrayList<>();

    @Override
    public int[] newConnectionContext(ConnectionSession session) {
        return new int[1];
    }

    @Override
    public Outcome connectionFilter(ConnectionSession session, int[] ctx) {
        return filter.apply(session);
    }

    @Override
    public Outcome upstreamPeer(ConnectionSession session, int[] ctx) {
        return peer.apply(session, ctx[0]++);
    }

    @Override
    public boolean failToConnect(ConnectionSession session, int[] ctx, UpstreamFailure failure) {
        failures.add(failure);
        return retry.apply(session, failure);
    }

    @Override
    public void logging(ConnectionSession s, int[] ctx) {
        logged.add(new Logged(s.listener(), s.peer() == null ? null : s.peer().address(), s.relayed(),
                s.error() == null ? null : s.error().kind().label(), s.rejectedBy(), s.rejectReason(), s.endReason(),
                s.upstreamAttempts(), s.bytesFromClient(), s.bytesToClient(), s.endNanos() >= s.startNanos()));
    }
}
