package dev.turnpike.plugins.tracing.otlp;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One span as a collector received it, decoded from OTLP's protobuf ({@code
 * opentelemetry/proto/trace/v1/trace.proto}): ids in lower-case hex as in a {@code traceparent},
 * the kind and status as their enum numbers, attribute values as String, Long, Double or Boolean.
 *
 * @param serviceName the {@code service.name} of the resource it came with
 * @param links       each link as {@code traceId-spanId}
 */
public record ReceivedSpan(String serviceName, String traceId, String spanId, String parentSpanId, String traceState,
                           String name, int kind, Map<String, Object> attributes, int statusCode, String statusMessage,
                           List<String> links) {

    /** {@code SpanKind} numbers. */
    public static final int SERVER = 2;
    public static final int CLIENT = 3;
    /** {@code Status.StatusCode} numbers. */
    public static final int STATUS_UNSET = 0;
    public static final int STATUS_OK = 1;
    public static final int STATUS_ERROR = 2;

    private static final HexFormat HEX = HexFormat.of();

    public Object attribute(String key) {
        return attributes.get(key);
    }

    public boolean isRoot() {
        return parentSpanId.isEmpty();
    }

    @Override
    public String toString() {
        return (kind == SERVER ? "SERVER " : kind == CLIENT ? "CLIENT " : "kind " + kind + " ") + name + " " + traceId + "/"
                + spanId + " parent " + (parentSpanId.isEmpty() ? "-" : parentSpanId) + " status " + statusCode + " "
                + attributes;
    }

    /** Decodes every span of an {@code ExportTraceServiceRequest}. */
    public static List<ReceivedSpan> decodeRequest(byte[] body) {
        List<ReceivedSpan> out = new ArrayList<>();
        ProtoReader request = new ProtoReader(body);
        while (request.next()) {
            if (request.field() == 1) { // resource_spans
                resourceSpans(request.message(), out);
            } else {
                request.skip();
            }
        }
        return out;
    }

    private static void resourceSpans(ProtoReader r, List<ReceivedSpan> out) {
        String service = "";
        List<ProtoReader> scopes = new ArrayList<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> { // resource
                    ProtoReader resource = r.message();
                    Map<String, Object> attrs = new LinkedHashMap<>();
                    while (resource.next()) {
                        if (resource.field() == 1) {
                            keyValue(resource.message(), attrs);
                        } else {
                            resource.skip();
                        }
                    }
                    service = String.valueOf(attrs.getOrDefault("service.name", ""));
                }
                case 2 -> scopes.add(r.message()); // scope_spans, after the resource has been read
                default -> r.skip();
            }
        }
        for (ProtoReader scope : scopes) {
            while (scope.next()) {
                if (scope.field() == 2) { // spans
                    out.add(span(service, scope.message()));
                } else {
                    scope.skip();
                }
            }
        }
    }

    private static ReceivedSpan span(String service, ProtoReader r) {
        String traceId = "";
        String spanId = "";
        String parent = "";
        String traceState = "";
        String name = "";
        int kind = 0;
        Map<String, Object> attrs = new LinkedHashMap<>();
        int statusCode = 0;
        String statusMessage = "";
        List<String> links = new ArrayList<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> traceId = HEX.formatHex(r.bytes());
                case 2 -> spanId = HEX.formatHex(r.bytes());
                case 3 -> traceState = r.string();
                case 4 -> parent = HEX.formatHex(r.bytes());
                case 5 -> name = r.string();
                case 6 -> kind = (int) r.varint();
                case 9 -> keyValue(r.message(), attrs);
                case 13 -> links.add(link(r.message()));
                case 15 -> {
                    ProtoReader status = r.message();
                    while (status.next()) {
                        if (status.field() == 2) {
                            statusMessage = status.string();
                        } else if (status.field() == 3) {
                            statusCode = (int) status.varint();
                        } else {
                            status.skip();
                        }
                    }
                }
                default -> r.skip();
            }
        }
        return new ReceivedSpan(service, traceId, spanId, parent, traceState, name, kind,
                Collections.unmodifiableMap(attrs), statusCode, statusMessage, List.copyOf(links));
    }

    private static String link(ProtoReader r) {
        String traceId = "";
        String spanId = "";
        while (r.next()) {
            if (r.field() == 1) {
                traceId = HEX.formatHex(r.bytes());
            } else if (r.field() == 2) {
                spanId = HEX.formatHex(r.bytes());
            } else {
                r.skip();
            }
        }
        return traceId + "-" + spanId;
    }

    /** A {@code KeyValue} into {@code into}; array and key-value-list values are kept as their text form. */
    private static void keyValue(ProtoReader r, Map<String, Object> into) {
        String key = "";
        Object value = null;
        while (r.next()) {
            if (r.field() == 1) {
                key = r.string();
            } else if (r.field() == 2) {
                value = anyValue(r.message());
            } else {
                r.skip();
            }
        }
        into.put(key, value);
    }

    private static Object anyValue(ProtoReader r) {
        Object value = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> value = r.string();
                case 2 -> value = r.varint() != 0;
                case 3 -> value = r.varint();
                case 4 -> value = Double.longBitsToDouble(r.fixed64());
                case 7 -> value = HEX.formatHex(r.bytes());
                default -> {
                    value = "(" + r.field() + ")";
                    r.skip();
                }
            }
        }
        return value;
    }
}
