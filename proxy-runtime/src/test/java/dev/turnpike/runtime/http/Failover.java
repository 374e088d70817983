package dev.turnpike.runtime.http;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.UpstreamFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A test balancer for the retry tests: picks the first of its ports of 127.0.0.1 that has not failed
 * for this request (when all have, it goes round them again), and records every failure hook call and
 * every request's end. Its hooks answer {@link #answer} unless told to throw.
 */
final class Failover implements ProxyPlugin<Failover.Ctx> {

    /** One call of a failure hook. */
    record Call(String hook, ErrorKind kind, int attempt, boolean retryable, String why, int peerPort,
                String path) {
    }

    /** What logging saw of one request. */
    record Logged(String path, int status, int upstreamStatus, int attempts, long requestBodyBytes, dev.turnpike.api.ProxyError error,
                  List<Integer> peerSeenByUpstreamPeer, List<Call> calls) {
    }

    static final class Ctx {
        final Set<Integer> failed = new HashSet<>();
        final List<Integer> peerSeenByUpstreamPeer = new ArrayList<>();
        final List<Call> calls = new ArrayList<>();
        int picks;
        int filterRuns;
    }

    private final int[] ports;
    private volatile boolean answer = true;
    private volatile String throwOnPath;
    private volatile boolean editHeaders;
    private volatile Duration peerReadTimeout;

    final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
    final LinkedBlockingQueue<Logged> logged = new LinkedBlockingQueue<>();

    /** @param ports the backends in order of preference; none: never chooses (upstream_peer proceeds) */
    Failover(int... ports) {
        this.ports = ports.clone();
    }

    /** What the failure hooks return (true unless set). */
    Failover answering(boolean retry) {
        this.answer = retry;
        return this;
    }

    /** The failure hooks throw for requests to this path. */
    Failover throwingOn(String path) {
        this.throwOnPath = path;
        return this;
    }

    /**
     * request_filter adds {@code X-Before: 1}; upstream_request_filter adds (with {@code add}, so a
     * second application would show) {@code X-Attempt-Filter: <n>}, n counting its runs for the request.
     */
    Failover editingHeaders() {
        this.editHeaders = true;
        return this;
    }

    /** Peers carry this read timeout (else the runtime's default). */
    Failover peerReadTimeout(Duration timeout) {
        this.peerReadTimeout = timeout;
        return this;
    }

    @Override
    public Ctx newContext(Session session) {
        return new Ctx();
    }

    @Override
    public Outcome requestFilter(Session session, Ctx ctx) {
        if (editHeaders) {
            session.request().headers().add("X-Before", "1");
        }
        return Outcome.proceed();
    }

    @Override
    public Outcome upstreamPeer(Session session, Ctx ctx) {
        if (ports.length == 0) {
            return Outcome.proceed();
        }
        Peer previous = session.peer();
        ctx.peerSeenByUpstreamPeer.add(previous == null ? 0 : previous.port());
        int chosen = -1;
        for (int p : ports) {
            if (!ctx.failed.contains(p)) {
                chosen = p;
                break;
            }
        }
        if (chosen < 0) {
            chosen = ports[ctx.picks % ports.length];
        }
        ctx.picks++;
        Peer.Builder b = Peer.builder("127.0.0.1", chosen);
        if (peerReadTimeout != null) {
            b.readTimeout(peerReadTimeout);
        }
        return Outcome.upstream(b.build());
    }

    @Override
    public Outcome upstreamRequestFilter(Session session, Ctx ctx) {
        ctx.filterRuns++;
        if (editHeaders) {
            session.upstreamRequest().headers().add("X-Attempt-Filter", Integer.toString(ctx.filterRuns));
        }
        return Outcome.proceed();
    }

    @Override
    public boolean failToConnect(Session session, Ctx ctx, UpstreamFailure failure) {
        return hook("fail_to_connect", session, ctx, failure);
    }

    @Override
    public boolean errorWhileProxying(Session session, Ctx ctx, UpstreamFailure failure) {
        return hook("error_while_proxying", session, ctx, failure);
    }

    private boolean hook(String name, Session session, Ctx ctx, UpstreamFailure failure) {
        Call call = new Call(name, failure.kind(), failure.attempt(), failure.retryable(), failure.notRetryableBecause(),
                failure.peer().port(), session.request().path());
        calls.add(call);
        ctx.calls.add(call);
        ctx.failed.add(failure.peer().port());
        if (session.request().path().equals(throwOnPath)) {
            throw new IllegalStateException("hook failed on purpose");
        }
        return answer;
    }

    @Override
    public void logging(Session session, Ctx ctx) {
        logged.add(new Logged(session.request().path(), session.status(), session.upstreamStatus(),
                session.upstreamAttempts(), session.requestBodyBytes(), session.error(), List.copyOf(ctx.peerSeenByUpstreamPeer), List.copyOf(ctx.calls)));
    }

    /** The next request's end as logging saw it; fails when none comes within the timeout. */
    Logged awaitLogged(Duration timeout) throws InterruptedException {
        Logged l = logged.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (l == null) {
            throw new AssertionError("logging did not run within " + timeout);
        }
        return l;
    }
}
