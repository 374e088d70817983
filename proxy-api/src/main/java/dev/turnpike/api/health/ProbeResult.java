package dev.turnpike.api.health;

import java.time.Duration;

/**
 * How one probe went.
 *
 * @param status  the HTTP status of the response head; 0 for a TCP probe or when no head arrived
 * @param elapsed how long the probe took
 * @param failure why the probe failed ("connection refused", "timed out after 1s", "invalid
 *                response"...), or {@code null} when it connected (TCP) or got a response head (HTTP)
 */
public record ProbeResult(int status, Duration elapsed, String failure) {

    /** Whether the probe connected and, for HTTP, got a response head (of any status). */
    public boolean completed() {
        return failure == null;
    }
}
