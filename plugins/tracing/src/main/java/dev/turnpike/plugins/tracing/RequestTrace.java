package dev.turnpike.plugins.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;

/**
 * The plugin's per-request context ({@code newContext}): the request's SERVER span, the context
 * its CLIENT spans descend from, and the attempt span open now. This object, handed to every phase
 * by the runtime, is where the trace context lives between phases: never a ThreadLocal, never a
 * context made current on the event loop.
 *
 * <p>Public only because it is the plugin's context type; nothing outside the plugin makes or reads
 * one. Confined to the request's event loop, as its phases are.
 */
public final class RequestTrace {

    /** The SERVER span, or {@code null} until it is started. */
    Span server;
    /** {@link #server} inside the context it was started in: the parent of every attempt. */
    Context serverContext;
    /** The CLIENT span of the attempt in progress, or {@code null} between attempts. */
    Span attempt;
    /** How many attempts this request has started (upstream_request_filter calls seen). */
    int attempts;
    /** Whether {@link #server} has been ended (logging ran). */
    boolean finished;

    RequestTrace() {
    }
}
