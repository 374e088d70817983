package dev.turnpike.api;

import java.util.Objects;

/**
 * Why a request failed, as a value: its {@link ErrorKind kind}, a sentence that says what happened
 * in the proxy's words, the underlying exception (for debugging, never shown to clients), and for
 * {@link ErrorKind#PLUGIN} the plugin and phase at fault. Immutable.
 *
 * <p>The runtime makes one for every failed request; {@link Session#error()} returns it, the
 * failure hooks get it inside {@link UpstreamFailure}, and {@link ProxyPlugin#failToProxy} may
 * write the error page from it.
 */
public final class ProxyError {

    private final ErrorKind kind;
    private final String message;
    private final Throwable cause;
    private final String pluginId;
    private final String phase;
    private final int status;

    private ProxyError(ErrorKind kind, String message, Throwable cause, String pluginId, String phase, int status) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.message = Objects.requireNonNull(message, "message");
        this.cause = cause;
        this.pluginId = pluginId;
        this.phase = phase;
        this.status = status;
    }

    /** An error of {@code kind}, answered with the kind's {@link ErrorKind#status() status}. */
    public static ProxyError of(ErrorKind kind, String message, Throwable cause) {
        return new ProxyError(kind, message, cause, null, null, kind.status());
    }

    /** A plugin's failure in one of its phases (answered 500). */
    public static ProxyError plugin(String pluginId, String phase, String message, Throwable cause) {
        return new ProxyError(ErrorKind.PLUGIN, message, cause, Objects.requireNonNull(pluginId, "pluginId"),
                Objects.requireNonNull(phase, "phase"), ErrorKind.PLUGIN.status());
    }

    /** The same error, answered with {@code status} instead (a 413 or 431 is a {@link ErrorKind#BAD_REQUEST}). */
    public ProxyError withStatus(int status) {
        if (status != 0 && (status < 400 || status > 599)) {
            throw new IllegalArgumentException("an error status must be 400..599, not " + status);
        }
        return new ProxyError(kind, message, cause, pluginId, phase, status);
    }

    public ErrorKind kind() {
        return kind;
    }

    /** What happened, for logs: "backend 10.0.0.7:8080 sent nothing for 30000 ms". Never shown to clients. */
    public String message() {
        return message;
    }

    /** The underlying exception, or {@code null}. */
    public Throwable cause() {
        return cause;
    }

    /** For {@link ErrorKind#PLUGIN}: the plugin at fault; otherwise {@code null}. */
    public String pluginId() {
        return pluginId;
    }

    /** For {@link ErrorKind#PLUGIN}: the phase it failed in ({@code request_filter}, ...); otherwise {@code null}. */
    public String phase() {
        return phase;
    }

    /** The status the runtime answers with when no response has started (0: none, the client is gone). */
    public int status() {
        return status;
    }

    @Override
    public String toString() {
        return kind.label() + ": " + message;
    }
}
