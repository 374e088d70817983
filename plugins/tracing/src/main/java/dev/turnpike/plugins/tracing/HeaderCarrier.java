package dev.turnpike.plugins.tracing;

import dev.turnpike.api.Headers;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;

/**
 * The W3C propagator's view of a request's headers: reads the client's, writes the upstream head's.
 * Stateless; used on the event loop.
 */
enum HeaderCarrier implements TextMapGetter<Headers>, TextMapSetter<Headers> {
    INSTANCE;

    static final String TRACEPARENT = "traceparent";
    static final String TRACESTATE = "tracestate";

    @Override
    public String get(Headers carrier, String key) {
        if (carrier == null) {
            return null;
        }
        // Two traceparent fields make the context ambiguous: W3C Trace Context says to ignore it.
        if (key.equals(TRACEPARENT) && carrier.getAll(TRACEPARENT).size() > 1) {
            return null;
        }
        if (key.equals(TRACESTATE)) {
            // A list-valued field may be split over several lines (RFC 9110 §5.3).
            java.util.List<String> parts = carrier.getAll(TRACESTATE);
            return parts.size() > 1 ? String.join(",", parts) : carrier.get(TRACESTATE);
        }
        return carrier.get(key);
    }

    @Override
    public void set(Headers carrier, String key, String value) {
        if (carrier != null) {
            carrier.set(key, value);
        }
    }
}
