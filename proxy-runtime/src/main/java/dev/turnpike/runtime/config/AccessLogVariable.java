package dev.turnpike.runtime.config;

import java.util.Locale;

/**
 * The named values an {@code access_log.template} may use, as {@code $name}. Names follow nginx's
 * where nginx has the value, so a {@code log_format} carries over; times named {@code *_time} are in
 * seconds with millisecond precision (nginx's), those named {@code *_ms} in milliseconds. Per-attempt
 * values ({@code upstream_*}) hold one entry per attempt, separated by {@code ", "}, as nginx's do.
 * Any request header is {@code $http_<name>}, with dashes as underscores ({@code $http_x_forwarded_for}).
 */
public enum AccessLogVariable {
    /** The end of the exchange, ISO-8601 UTC with milliseconds. */
    TIME_ISO8601,
    /** The end of the exchange in nginx's {@code 01/Dec/2026:20:16:46 +0000}, UTC. */
    TIME_LOCAL,
    /** The end of the exchange in seconds since the epoch, with milliseconds. */
    MSEC,
    REMOTE_ADDR,
    REMOTE_PORT,
    /** {@code address:port} of the client. */
    CLIENT,
    REQUEST_METHOD,
    /** The target as the client sent it, query included. */
    REQUEST_URI,
    /** {@code method target protocol}, the request line. */
    REQUEST,
    SERVER_PROTOCOL,
    /** The Host header, as sent. */
    HOST,
    STATUS,
    /** The whole exchange, seconds. */
    REQUEST_TIME,
    DURATION_MS,
    /** Body bytes from the client. */
    BYTES_IN,
    /** Body bytes to the client. */
    BYTES_OUT,
    /** Body bytes to the client (nginx's name). */
    BODY_BYTES_SENT,
    /** The peer the last attempt went to. */
    UPSTREAM,
    /** The group of that peer, when its plugin named one. */
    UPSTREAM_GROUP,
    UPSTREAM_ADDR,
    UPSTREAM_STATUS,
    UPSTREAM_CONNECT_TIME,
    UPSTREAM_HEADER_TIME,
    UPSTREAM_RESPONSE_TIME,
    UPSTREAM_CONNECT_MS,
    UPSTREAM_HEADER_MS,
    UPSTREAM_RESPONSE_MS,
    /** Attempts made upstream. */
    UPSTREAM_ATTEMPTS,
    REQUEST_ID,
    /** The plugin that answered on its own. */
    RESPONDED_BY,
    /** The error kind that failed the request ({@code upstream_timeout}, ...), never an exception's text. */
    ERROR,
    /** Why the proxy refused a request it could not take (an unparseable head, a body over the limit). */
    REASON,
    /** Bytes of an unparseable head the proxy saw before refusing it. */
    HEAD_BYTES;

    /** The name used in templates. */
    public String variableName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The variable called {@code name}, or null. */
    public static AccessLogVariable named(String name) {
        for (AccessLogVariable v : values()) {
            if (v.variableName().equals(name)) {
                return v;
            }
        }
        return null;
    }
}
