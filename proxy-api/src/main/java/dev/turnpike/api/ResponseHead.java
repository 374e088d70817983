package dev.turnpike.api;

/**
 * The status line and headers of the response that goes to the client, as a live view.
 *
 * <p>In {@code response_filter} this is the backend's response, editable (hop-by-hop headers are
 * already removed; framing is the runtime's). In {@code logging} it is what was sent, read-only: the
 * backend's response, a plugin's {@link Response}, or the runtime's error response.
 */
public interface ResponseHead {

    int status();

    /** Changes the status (100..599); the reason phrase follows the code. */
    void setStatus(int status);

    Headers headers();
}
