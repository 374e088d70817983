package dev.turnpike.api;

import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * What a phase decided. Immutable; {@link #proceed()} is a shared constant, so the common answer
 * allocates nothing.
 *
 * <p>Which outcomes a phase may return is part of the phase's contract (see {@link ProxyPlugin});
 * returning one the phase does not allow fails the request with a 500 that names the plugin.
 */
public final class Outcome {

    /** The kinds of outcome; {@link #kind()} tells which one this is. */
    public enum Kind {
        /** Go on with the next plugin of the phase, or the next phase. */
        PROCEED,
        /** Answer the client with {@link #response()} and run no further request-path phase. */
        RESPOND,
        /** Send the request to {@link #peer()} (upstream_peer only). */
        UPSTREAM,
        /** The decision is {@link #stage()}'s value, when it completes. */
        LATER,
        /** Close the client's connection without serving it (connection phases only); {@link #reason()} says why. */
        REJECT
    }

    private static final Outcome PROCEED = new Outcome(Kind.PROCEED, null, null, null, null);

    private final Kind kind;
    private final Response response;
    private final Peer peer;
    private final CompletionStage<Outcome> stage;
    private final String reason;

    private Outcome(Kind kind, Response response, Peer peer, CompletionStage<Outcome> stage, String reason) {
        this.kind = kind;
        this.response = response;
        this.peer = peer;
        this.stage = stage;
        this.reason = reason;
    }

    /** Continue: the next plugin of this phase runs, or the next phase. */
    public static Outcome proceed() {
        return PROCEED;
    }

    /** Answer the client with this response; the rest of the request path does not run. */
    public static Outcome respond(Response response) {
        return new Outcome(Kind.RESPOND, Objects.requireNonNull(response, "response"), null, null, null);
    }

    /** upstream_peer only: send this request to {@code peer}. */
    public static Outcome upstream(Peer peer) {
        return new Outcome(Kind.UPSTREAM, null, Objects.requireNonNull(peer, "peer"), null, null);
    }

    /**
     * Decide later: the chain pauses (without blocking the event loop) and resumes with the stage's
     * outcome, on the request's event loop, whichever thread completes the stage. A stage that
     * completes exceptionally, with {@code null} or with another {@code later}, or that is still
     * pending after {@code plugins.phase_timeout} (10 s by default), fails the request like a
     * throwing phase; a completion after the timeout is ignored. In a body phase the body waits
     * meanwhile, and reading from its source pauses (backpressure).
     */
    public static Outcome later(CompletionStage<Outcome> stage) {
        return new Outcome(Kind.LATER, null, null, Objects.requireNonNull(stage, "stage"), null);
    }

    /**
     * {@link ConnectionPlugin} phases only ({@code connection_filter}, {@code upstream_peer}): close
     * the client's connection without serving it. Nothing is connected upstream; the reason goes to
     * the access log and to {@link ConnectionSession#rejectReason()}. An HTTP phase answers with
     * {@link #respond} instead: there this outcome fails the request as one its phase does not allow.
     *
     * @param reason why, for the log (short, no line breaks)
     */
    public static Outcome reject(String reason) {
        return new Outcome(Kind.REJECT, null, null, null, Objects.requireNonNull(reason, "reason"));
    }

    public Kind kind() {
        return kind;
    }

    /** The response, for {@link Kind#RESPOND}; otherwise {@code null}. */
    public Response response() {
        return response;
    }

    /** The peer, for {@link Kind#UPSTREAM}; otherwise {@code null}. */
    public Peer peer() {
        return peer;
    }

    /** The pending decision, for {@link Kind#LATER}; otherwise {@code null}. */
    public CompletionStage<Outcome> stage() {
        return stage;
    }

    /** Why, for {@link Kind#REJECT}; otherwise {@code null}. */
    public String reason() {
        return reason;
    }

    @Override
    public String toString() {
        switch (kind) {
            case REJECT: return "reject(" + reason + ")";
            case RESPOND: return "respond(" + response.status() + ")";
            case UPSTREAM: return "upstream(" + peer + ")";
            case LATER: return "later";
            default: return "proceed";
        }
    }
}
