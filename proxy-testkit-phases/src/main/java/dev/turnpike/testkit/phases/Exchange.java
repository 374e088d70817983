package dev.turnpike.testkit.phases;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.UpstreamConnection;
import dev.turnpike.api.UpstreamFailure;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One request through one plugin's phases, made by {@link PhaseHarness#exchange}: each method runs
 * one phase on the test's thread, with the session in that phase (so the heads' edit rules apply),
 * and records what the runtime would record ({@link FakeSession#peer()}, the response a plugin
 * answered with, byte counts, attempts).
 *
 * <p>Phases that return an {@link Outcome} give back the decision the runtime acts on: a
 * {@code later} stage is driven to its end on the {@link FakeEventLoop} (see
 * {@link PhaseHarness}), and {@code null}, an outcome the phase does not allow, or a failed or
 * timed-out stage fail the test with an {@link AssertionError} saying why the runtime would answer
 * 500. An exception the plugin throws reaches the test as thrown. {@link #calls()} keeps each
 * phase's outcome as returned and as decided.
 *
 * <p>Phases may be run in any order and singly, as a unit test needs; {@link PhaseHarness#run}
 * runs them in the runtime's order. Not thread-safe: one exchange, one thread.
 *
 * @param <C> the plugin's per-request context type
 */
public final class Exchange<C> {

    /** One phase run: its outcome as the plugin returned it and as decided ({@code later} resolved). */
    public record Call(Phase phase, Outcome returned, Outcome decided) {
    }

    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

    private final ProxyPlugin<C> plugin;
    private final String pluginId;
    private final FakeSession session;
    private final Stages stages;
    private final C context;
    private final List<Call> calls = new ArrayList<>();
    private Response response;
    private boolean logged;

    Exchange(ProxyPlugin<C> plugin, String pluginId, FakeSession session, Duration phaseTimeout) {
        this.plugin = plugin;
        this.pluginId = pluginId;
        this.session = session;
        this.stages = new Stages(session.executor(), phaseTimeout, pluginId);
        this.context = during(Phase.NEW_CONTEXT, () -> plugin.newContext(session));
    }

    /** The session, to set up further or to read what the phases did to it. */
    public FakeSession session() {
        return session;
    }

    /** What the plugin's {@code newContext} made for this request ({@code null} for none). */
    public C context() {
        return context;
    }

    /** Every phase run that returned an outcome, in order. */
    public List<Call> calls() {
        return List.copyOf(calls);
    }

    /** The last decided outcome, or {@code null} before any. */
    public Outcome lastOutcome() {
        return calls.isEmpty() ? null : calls.get(calls.size() - 1).decided();
    }

    /** The response a phase answered with ({@link Outcome#respond}) or {@code fail_to_proxy} gave, or {@code null}. */
    public Response response() {
        return response;
    }

    // ---- the request path ----

    /** {@code request_filter}; a {@code respond} is recorded as the session's answer. */
    public Outcome requestFilter() {
        return decide(Phase.REQUEST_FILTER, () -> plugin.requestFilter(session, context));
    }

    /** {@code upstream_peer}; an {@code upstream} sets {@link FakeSession#peer()}. */
    public Outcome upstreamPeer() {
        Outcome o = decide(Phase.UPSTREAM_PEER, () -> plugin.upstreamPeer(session, context));
        if (o.kind() == Outcome.Kind.UPSTREAM) {
            session.peer(o.peer());
        }
        return o;
    }

    /**
     * {@code upstream_request_filter}, on a new attempt's head made from the client's
     * ({@link FakeSession#startAttempt()}).
     *
     * @throws IllegalStateException when no peer is chosen (run {@link #upstreamPeer} or set one on the session)
     */
    public Outcome upstreamRequestFilter() {
        requirePeer("upstream_request_filter");
        session.startAttempt();
        return decide(Phase.UPSTREAM_REQUEST_FILTER, () -> plugin.upstreamRequestFilter(session, context));
    }

    /** {@code connected_to_upstream} with a new connection to the chosen peer (not from the pool). */
    public void connectedToUpstream() {
        Peer peer = requirePeer("connected_to_upstream");
        connectedToUpstream(new UpstreamConnection(peer, false, Duration.ofMillis(1),
                new InetSocketAddress("127.0.0.1", 50000), InetSocketAddress.createUnresolved(peer.host(), peer.port())));
    }

    /** {@code connected_to_upstream} with this connection. */
    public void connectedToUpstream(UpstreamConnection connection) {
        during(Phase.CONNECTED_TO_UPSTREAM, () -> {
            plugin.connectedToUpstream(session, context, connection);
            return null;
        });
    }

    /** {@code request_body_filter} on one chunk, which the test reads afterwards for what goes upstream. */
    public Outcome requestBodyChunk(FakeBodyChunk chunk) {
        session.requestBodyBytes(session.requestBodyBytes() + chunk.length());
        return decide(Phase.REQUEST_BODY_FILTER, () -> plugin.requestBodyFilter(session, context, chunk));
    }

    /**
     * {@code request_body_filter} on each of these UTF-8 chunks in turn (the last one marked last);
     * returns the body as it came out, up to a {@code respond}, which ends it.
     */
    public String requestBody(String... chunks) {
        return body(chunks, true);
    }

    /** {@code fail_to_connect}: the attempt to the chosen peer failed with {@code kind} (retryable, as nothing was sent). */
    public boolean failToConnect(ErrorKind kind) {
        Peer peer = requirePeer("fail_to_connect");
        return failToConnect(new UpstreamFailure(peer, ProxyError.of(kind, kind.label() + " " + peer, null), attempt(), null));
    }

    public boolean failToConnect(UpstreamFailure failure) {
        return during(Phase.FAIL_TO_CONNECT, () -> plugin.failToConnect(session, context, failure));
    }

    /**
     * {@code error_while_proxying}: the attempt failed with {@code kind} after the request went
     * out; retryable only for an idempotent method, as the runtime judges it (the body is taken as kept).
     */
    public boolean errorWhileProxying(ErrorKind kind) {
        Peer peer = requirePeer("error_while_proxying");
        String method = session.upstreamRequest() != null ? session.upstreamRequest().method() : session.request().method();
        String notRetryable = IDEMPOTENT.contains(method) ? null : method + " is not idempotent";
        return errorWhileProxying(new UpstreamFailure(peer, ProxyError.of(kind, kind.label() + " " + peer, null), attempt(),
                notRetryable));
    }

    public boolean errorWhileProxying(UpstreamFailure failure) {
        return during(Phase.ERROR_WHILE_PROXYING, () -> plugin.errorWhileProxying(session, context, failure));
    }

    // ---- the response path ----

    /** The backend answers with this status and headers (alternating names and values): see {@link FakeSession#upstreamResponse}. */
    public FakeResponseHead backendResponds(int status, String... headers) {
        return session.upstreamResponse(status, headers);
    }

    /**
     * {@code response_filter} on the backend's response head.
     *
     * @throws IllegalStateException when no backend answered ({@link #backendResponds} first): the runtime does
     *                               not call it for a plugin's or its own response
     */
    public Outcome responseFilter() {
        FakeResponseHead head = session.response();
        if (head == null || !head.fromBackend()) {
            throw new IllegalStateException("response_filter runs on a backend's response: call backendResponds first");
        }
        Outcome o = decide(Phase.RESPONSE_FILTER, () -> plugin.responseFilter(session, context));
        session.status(head.status());
        return o;
    }

    /** {@code response_body_filter} on one chunk; what the chunk holds afterwards goes to the client. */
    public Outcome responseBodyChunk(FakeBodyChunk chunk) {
        Outcome o = decide(Phase.RESPONSE_BODY_FILTER, () -> plugin.responseBodyFilter(session, context, chunk));
        session.responseBodyBytes(session.responseBodyBytes() + chunk.length());
        return o;
    }

    /** {@code response_body_filter} on each of these UTF-8 chunks in turn (the last one marked last); returns what went to the client. */
    public String responseBody(String... chunks) {
        return body(chunks, false);
    }

    /**
     * {@code fail_to_proxy} for {@code error}, which becomes the session's {@link FakeSession#error()}.
     * A page the plugin gives becomes the response (and the status); without one the status is the error's.
     */
    public Response failToProxy(ProxyError error) {
        session.error(error);
        Response page = during(Phase.FAIL_TO_PROXY, () -> plugin.failToProxy(session, context, error));
        if (page != null) {
            response = page;
            session.answered(page, session.respondedBy());
        } else {
            session.status(error.status());
        }
        return page;
    }

    /**
     * {@code logging}, once: the exchange is over and every head is read-only.
     *
     * @throws IllegalStateException when it already ran: the runtime runs it exactly once
     */
    public void logging() {
        if (logged) {
            throw new IllegalStateException("logging runs exactly once per request");
        }
        logged = true;
        during(Phase.LOGGING, () -> {
            plugin.logging(session, context);
            return null;
        });
    }

    /** Whether {@link #logging} ran. */
    public boolean logged() {
        return logged;
    }

    // ---- helpers ----

    private Outcome decide(Phase phase, java.util.function.Supplier<Outcome> call) {
        Outcome returned = during(phase, call);
        // A pending stage's callbacks run on the loop while, for the runtime, the phase still runs:
        // they may edit what the phase allows.
        Outcome decided = during(phase, () -> stages.resolve(phase, returned));
        calls.add(new Call(phase, returned, decided));
        if (decided.kind() == Outcome.Kind.RESPOND) {
            response = decided.response();
            session.answered(decided.response(), pluginId);
        }
        return decided;
    }

    /** Runs {@code call} with the session in {@code phase}, and out of it afterwards. */
    private <T> T during(Phase phase, java.util.function.Supplier<T> call) {
        session.enter(phase);
        try {
            return call.get();
        } finally {
            session.leave();
        }
    }

    private String body(String[] chunks, boolean request) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < chunks.length; i++) {
            FakeBodyChunk chunk = FakeBodyChunk.of(chunks[i], i == chunks.length - 1);
            Outcome o = request ? requestBodyChunk(chunk) : responseBodyChunk(chunk);
            if (o.kind() == Outcome.Kind.RESPOND) {
                break;
            }
            out.writeBytes(chunk.toByteArray());
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private Peer requirePeer(String phase) {
        Peer peer = session.peer();
        if (peer == null) {
            throw new IllegalStateException(phase + " runs once a peer is chosen: run upstreamPeer, or set session.peer(...)");
        }
        return peer;
    }

    private int attempt() {
        return Math.max(1, session.upstreamAttempts());
    }
}
