package dev.turnpike.api.health;

import java.time.Duration;
import java.util.Objects;

/**
 * What an HTTP health probe sends: method, path, {@code Host} header, and how long the whole probe
 * (connect, send, response head) may take. Immutable; build once at start and reuse.
 *
 * @param method  the request method, a token such as {@code GET} or {@code HEAD}
 * @param path    the origin-form target, starting with {@code /}
 * @param host    the {@code Host} header; {@code null} for the peer's {@code host:port}
 * @param timeout how long the probe may take in all, more than zero
 */
public record HttpProbe(String method, String path, String host, Duration timeout) {

    public HttpProbe {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(timeout, "timeout");
        if (method.isEmpty() || !method.chars().allMatch(c -> c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0)) {
            throw new IllegalArgumentException("method must be a token, got '" + method + "'");
        }
        if (!path.startsWith("/") || path.chars().anyMatch(c -> c <= 32 || c >= 127)) {
            throw new IllegalArgumentException("path must start with / and hold no spaces or control characters, got '" + path + "'");
        }
        if (host != null && (host.isEmpty() || host.chars().anyMatch(c -> c <= 32 || c >= 127))) {
            throw new IllegalArgumentException("host must be a non-empty header value without spaces, got '" + host + "'");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be more than zero");
        }
    }
}
