package dev.turnpike.testkit.phases;

import dev.turnpike.api.Outcome;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The phases of {@link dev.turnpike.api.ProxyPlugin}, in the order the runtime runs them, each with
 * the outcomes it allows (a phase without an {@link Outcome} allows none). {@link FakeSession} uses
 * the current phase to decide which heads may be edited, as the runtime does.
 */
public enum Phase {
    /** {@code newContext}: before the first phase. */
    NEW_CONTEXT(),
    REQUEST_FILTER(Outcome.Kind.PROCEED, Outcome.Kind.RESPOND, Outcome.Kind.LATER),
    UPSTREAM_PEER(Outcome.Kind.PROCEED, Outcome.Kind.UPSTREAM, Outcome.Kind.RESPOND, Outcome.Kind.LATER),
    UPSTREAM_REQUEST_FILTER(Outcome.Kind.PROCEED, Outcome.Kind.RESPOND, Outcome.Kind.LATER),
    CONNECTED_TO_UPSTREAM(),
    REQUEST_BODY_FILTER(Outcome.Kind.PROCEED, Outcome.Kind.RESPOND, Outcome.Kind.LATER),
    FAIL_TO_CONNECT(),
    ERROR_WHILE_PROXYING(),
    RESPONSE_FILTER(Outcome.Kind.PROCEED, Outcome.Kind.LATER),
    RESPONSE_BODY_FILTER(Outcome.Kind.PROCEED, Outcome.Kind.LATER),
    FAIL_TO_PROXY(),
    LOGGING();

    private final EnumSet<Outcome.Kind> allowed;
    private final String label;

    Phase(Outcome.Kind... allowed) {
        this.allowed = allowed.length == 0 ? EnumSet.noneOf(Outcome.Kind.class) : EnumSet.of(allowed[0], allowed);
        this.label = name().toLowerCase(Locale.ROOT);
    }

    /** The phase as logs and the API's documentation spell it: {@code request_filter}. */
    public String label() {
        return label;
    }

    /** Whether the phase may return an outcome of this kind. */
    public boolean allows(Outcome.Kind kind) {
        return allowed.contains(kind);
    }

    /** The outcomes this phase allows; empty for a phase that returns none. */
    public Set<Outcome.Kind> allowed() {
        return EnumSet.copyOf(allowed);
    }
}
