package dev.turnpike.plugins.tracing;

import io.opentelemetry.api.common.AttributeKey;
import java.util.Set;

/**
 * The attribute keys the plugin records, as OpenTelemetry's HTTP semantic conventions name them
 * (plus a few {@code turnpike.*} of its own), and the span names those conventions give.
 */
final class SpanNames {

    static final AttributeKey<String> HTTP_REQUEST_METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<String> HTTP_REQUEST_METHOD_ORIGINAL = AttributeKey.stringKey("http.request.method_original");
    static final AttributeKey<Long> HTTP_RESPONSE_STATUS_CODE = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<Long> HTTP_REQUEST_RESEND_COUNT = AttributeKey.longKey("http.request.resend_count");
    static final AttributeKey<Long> HTTP_REQUEST_BODY_SIZE = AttributeKey.longKey("http.request.body.size");
    static final AttributeKey<Long> HTTP_RESPONSE_BODY_SIZE = AttributeKey.longKey("http.response.body.size");
    static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    static final AttributeKey<String> URL_SCHEME = AttributeKey.stringKey("url.scheme");
    static final AttributeKey<String> URL_FULL = AttributeKey.stringKey("url.full");
    static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.stringKey("client.address");
    static final AttributeKey<Long> CLIENT_PORT = AttributeKey.longKey("client.port");
    static final AttributeKey<String> NETWORK_PEER_ADDRESS = AttributeKey.stringKey("network.peer.address");
    static final AttributeKey<Long> NETWORK_PEER_PORT = AttributeKey.longKey("network.peer.port");
    static final AttributeKey<String> NETWORK_PROTOCOL_VERSION = AttributeKey.stringKey("network.protocol.version");
    static final AttributeKey<String> USER_AGENT_ORIGINAL = AttributeKey.stringKey("user_agent.original");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("turnpike.request_id");
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("turnpike.attempt");
    static final AttributeKey<Long> UPSTREAM_ATTEMPTS = AttributeKey.longKey("turnpike.upstream.attempts");
    static final AttributeKey<Boolean> CONNECTION_REUSED = AttributeKey.booleanKey("turnpike.upstream.connection_reused");
    static final AttributeKey<String> RESPONDED_BY = AttributeKey.stringKey("turnpike.responded_by");
    static final AttributeKey<Boolean> INCOMING_IGNORED = AttributeKey.booleanKey("turnpike.incoming_context_ignored");

    /** The methods the conventions know; any other is recorded as {@code _OTHER} and named {@code HTTP}. */
    private static final Set<String> KNOWN_METHODS =
            Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

    private SpanNames() {
    }

    static boolean knownMethod(String method) {
        return KNOWN_METHODS.contains(method);
    }

    /** The span name for a request with this method: the method, or {@code HTTP} for one the conventions do not know. */
    static String spanName(String method) {
        return knownMethod(method) ? method : "HTTP";
    }
}
