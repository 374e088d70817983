package dev.turnpike.runtime.config;

import dev.turnpike.api.HostPort;
import dev.turnpike.api.config.ConfigSection;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The client side of the proxy, {@code server:} in the configuration file: where it listens and
 * what it accepts from clients. Every key is optional; the defaults are given per component.
 *
 * @param listen               {@code server.listen}: the address to accept cleartext clients on
 *                             (default {@code 127.0.0.1:8080}); the host may be an IP literal
 *                             ({@code [::1]:8080} for IPv6) or a hostname. {@code null} when
 *                             {@code server.tls} is set and {@code listen} is not: TLS only
 * @param workers              {@code server.workers}: event loop threads, already resolved: the file's
 *                             {@code 0} (the default) becomes {@link Runtime#availableProcessors()},
 *                             so this is at least 1 when loaded; the file allows 0..1024
 * @param maxHeaderBytes       {@code server.max_header_size}: the most bytes of a request head, the
 *                             request line included; a larger head is answered 431 (default 16k,
 *                             1k..2m, and larger than {@code maxUriLength})
 * @param maxUriLength         {@code server.max_uri_length}: the longest request target; a longer one
 *                             is answered 414 (default 8192; 8000..1m, as RFC 9110 asks recipients to
 *                             take at least 8000)
 * @param idleTimeout          {@code server.idle_timeout}: how long a kept-alive client connection may
 *                             sit idle between requests before it is closed (default 60s)
 * @param requestHeaderTimeout {@code server.request_header_timeout}: how long a client has to send a
 *                             complete request head, from its first byte (default 30s)
 * @param maxPipelined         {@code server.max_pipelined}: how many pipelined requests one
 *                             connection may have queued behind the one being served (default 16,
 *                             1..1024)
 * @param maxBodyBytes         {@code server.max_body_size}: the largest request body accepted; a larger
 *                             one is answered 413 and the connection closed (default 0: no limit)
 * @param gracePeriod          {@code server.grace_period}: on SIGTERM or SIGINT, how long in-flight
 *                             requests may take to finish before the proxy exits anyway (default 30s)
 * @param requestBodyTimeout   {@code server.request_body_timeout}: how long a client may send no
 *                             bytes while its request body is expected; then it gets 408 (or, once
 *                             the response has started, the connection is closed), counted as the
 *                             client's timeout (default 60s)
 * @param sendTimeout          {@code server.send_timeout}: how long a client may take no bytes of
 *                             its response; then the connection is closed, counted as the client's
 *                             timeout and never against the backend (default 60s)
 * @param tls                  {@code server.tls}: the TLS listener, or {@code null} for none
 */
public record ServerSettings(
        HostPort listen,
        int workers,
        int maxHeaderBytes,
        int maxUriLength,
        Duration idleTimeout,
        Duration requestHeaderTimeout,
        int maxPipelined,
        long maxBodyBytes,
        Duration gracePeriod,
        Duration requestBodyTimeout,
        Duration sendTimeout,
        ServerTlsSettings tls) {

    /** The keys of {@code server:}, for the hint that goes with an unknown key. */
    static final List<String> KEYS = List.of("listen", "workers", "max_header_size", "max_uri_length",
            "idle_timeout", "request_header_timeout", "max_pipelined", "max_body_size",
            "grace_period", "request_body_timeout", "send_timeout", "tls");

    public ServerSettings {
        if (listen == null && tls == null) {
            throw new IllegalArgumentException("a listener is needed: listen, tls or both");
        }
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(requestHeaderTimeout, "requestHeaderTimeout");
        Objects.requireNonNull(gracePeriod, "gracePeriod");
        Objects.requireNonNull(requestBodyTimeout, "requestBodyTimeout");
        Objects.requireNonNull(sendTimeout, "sendTimeout");
    }

    /** Settings without a TLS listener. */
    public ServerSettings(HostPort listen, int workers, int maxHeaderBytes, int maxUriLength, Duration idleTimeout,
                          Duration requestHeaderTimeout, int maxPipelined, long maxBodyBytes, Duration gracePeriod,
                          Duration requestBodyTimeout, Duration sendTimeout) {
        this(listen, workers, maxHeaderBytes, maxUriLength, idleTimeout, requestHeaderTimeout, maxPipelined, maxBodyBytes,
                gracePeriod, requestBodyTimeout, sendTimeout, null);
    }

    /** The settings of an absent {@code server:} section. */
    public static ServerSettings defaults() {
        return read(ConfigSection.empty("server"));
    }

    /** Reads and checks {@code server:}; errors name the key. */
    static ServerSettings read(ConfigSection s) {
        ServerTlsSettings tls = ServerTlsSettings.read(s);
        HostPort listen = null;
        // With a TLS listener, cleartext is opt-in: an edge that meant HTTPS only must not also speak HTTP.
        if (tls == null || s.has("listen")) {
            try {
                listen = HostPort.parse(s.string("listen", "127.0.0.1:8080"));
            } catch (IllegalArgumentException e) {
                throw s.invalid("listen", e.getMessage());
            }
        }
        if (listen != null && tls != null && listen.equals(tls.listen())) {
            throw s.invalid("tls.listen", tls.listen() + " is also server.listen; the cleartext and TLS listeners need two addresses");
        }
        int workers = s.integer("workers", 0, 0, 1024);
        int maxUriLength = Limits.size(s, "max_uri_length", 8192, 8000, 1 << 20);
        int maxHeaderBytes = Limits.size(s, "max_header_size", 16 << 10, 1 << 10, 2 << 20);
        // The head limit counts the request line, so a target the URI limit allows must also fit
        // in the head, or such a request would get 431 where 414 is due (or neither where due).
        if (maxHeaderBytes <= maxUriLength) {
            throw s.invalid("max_header_size", Limits.text(maxHeaderBytes) + " must be larger than "
                    + s.keyPath("max_uri_length") + " (" + Limits.text(maxUriLength)
                    + "): the request head includes the request line");
        }
        return new ServerSettings(
                listen,
                workers == 0 ? Runtime.getRuntime().availableProcessors() : workers,
                maxHeaderBytes,
                maxUriLength,
                Limits.duration(s, "idle_timeout", Duration.ofSeconds(60)),
                Limits.duration(s, "request_header_timeout", Duration.ofSeconds(30)),
                s.integer("max_pipelined", 16, 1, 1024),
                s.size("max_body_size", 0),
                Limits.duration(s, "grace_period", Duration.ofSeconds(30)),
                Limits.duration(s, "request_body_timeout", Duration.ofSeconds(60)),
                Limits.duration(s, "send_timeout", Duration.ofSeconds(60)),
                tls);
    }
}
