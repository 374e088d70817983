package com.example.jsonerrors;

import dev.turnpike.api.ErrorKind;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;

/**
 * Renders one failed request as a JSON document, in one of two shapes. Immutable and thread-safe:
 * made once at start, used by every event loop.
 *
 * <p>What it puts in: the status, the error's kind (its stable label, {@code upstream_timeout}),
 * a public sentence per kind, and the request id, which is what a client quotes to support and an
 * operator greps the access log for. What it never puts in: {@link dev.turnpike.api.ProxyError#message()}
 * and the cause, which name backends, addresses and plugin internals.
 */
final class ErrorPage {

    /** The document's shape. */
    enum Format {
        /** {@code {"status":502,"error":"connect_refused","message":"...","request_id":"..."}} as application/json. */
        SIMPLE("application/json"),
        /** RFC 9457 problem details, as application/problem+json, with {@code request_id} as an extension member. */
        PROBLEM("application/problem+json");

        final String contentType;

        Format(String contentType) {
            this.contentType = contentType;
        }
    }

    private final Format format;
    private final Map<ErrorKind, String> messages;

    ErrorPage(Format format, Map<ErrorKind, String> overrides) {
        this.format = format;
        EnumMap<ErrorKind, String> m = new EnumMap<>(ErrorKind.class);
        for (ErrorKind k : ErrorKind.values()) {
            m.put(k, overrides.getOrDefault(k, defaultMessage(k)));
        }
        this.messages = m;
    }

    String contentType() {
        return format.contentType + "; charset=utf-8";
    }

    byte[] render(int status, ErrorKind kind, String requestId) {
        StringBuilder json = new StringBuilder(160);
        if (format == Format.PROBLEM) {
            json.append("{\"type\":");
            string(json, "urn:turnpike:error:" + kind.label());
            json.append(",\"title\":");
            string(json, title(status));
            json.append(",\"status\":").append(status).append(",\"detail\":");
            string(json, messages.get(kind));
        } else {
            json.append("{\"status\":").append(status).append(",\"error\":");
            string(json, kind.label());
            json.append(",\"message\":");
            string(json, messages.get(kind));
        }
        json.append(",\"request_id\":");
        string(json, requestId);
        return json.append("}\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Appends {@code s} as a JSON string: quotes, backslashes and control characters escaped. */
    static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    private static String title(int status) {
        switch (status) {
            case 400: return "Bad Request";
            case 408: return "Request Timeout";
            case 413: return "Content Too Large";
            case 431: return "Request Header Fields Too Large";
            case 500: return "Internal Server Error";
            case 502: return "Bad Gateway";
            case 503: return "Service Unavailable";
            case 504: return "Gateway Timeout";
            default: return status < 500 ? "Client Error" : "Server Error";
        }
    }

    private static String defaultMessage(ErrorKind kind) {
        switch (kind) {
            case BAD_REQUEST: return "The request could not be understood.";
            case CLIENT_TIMEOUT: return "The request took too long to arrive.";
            case CONNECT_TIMEOUT:
            case UPSTREAM_TIMEOUT: return "The service took too long to answer.";
            case NO_PEER:
            case CONNECT_REFUSED:
            case UNRESOLVABLE:
            case TLS: return "The service is unavailable.";
            case UPSTREAM_RESET:
            case INVALID_RESPONSE: return "The service failed to answer.";
            default: return "The request failed inside the proxy.";
        }
    }
}
