package dev.turnpike.runtime.reload;

import dev.turnpike.runtime.config.ProxyConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The settings a reload cannot apply to a running proxy: the listeners and threads are bound at
 * start, and the connection-level settings are fixed in the pipelines already built. A reload that
 * changes them says so; they apply at the next restart. Plugin configs, chain order and backend
 * lists, which live in the chain, apply at once.
 */
final class RestartOnly {

    private RestartOnly() {
    }

    /** The keys (or sections) whose value differs between {@code running} and {@code next}. */
    static List<String> differences(ProxyConfig running, ProxyConfig next) {
        List<String> out = new ArrayList<>();
        var a = running.server();
        var b = next.server();
        add(out, "server.listen", a.listen(), b.listen());
        add(out, "server.workers", a.workers(), b.workers());
        add(out, "server.max_header_size", a.maxHeaderBytes(), b.maxHeaderBytes());
        add(out, "server.max_uri_length", a.maxUriLength(), b.maxUriLength());
        add(out, "server.idle_timeout", a.idleTimeout(), b.idleTimeout());
        add(out, "server.request_header_timeout", a.requestHeaderTimeout(), b.requestHeaderTimeout());
        add(out, "server.max_pipelined", a.maxPipelined(), b.maxPipelined());
        add(out, "server.max_body_size", a.maxBodyBytes(), b.maxBodyBytes());
        add(out, "server.grace_period", a.gracePeriod(), b.gracePeriod());
        add(out, "server.request_body_timeout", a.requestBodyTimeout(), b.requestBodyTimeout());
        add(out, "server.send_timeout", a.sendTimeout(), b.sendTimeout());
        // The certificate files' contents reload by themselves (and on SIGHUP); which files, and the
        // listener around them, are bound at start.
        add(out, "server.tls", a.tls(), b.tls());
        add(out, "tls.provider", running.tls().provider(), next.tls().provider());
        add(out, "tunnel", running.tunnel(), next.tunnel());
        add(out, "forward_proxy", running.forwardProxy(), next.forwardProxy());
        add(out, "upstream", running.upstream(), next.upstream());
        // A tcp listener's chain reloads with the others; the listener itself is bound at start.
        add(out, "tcp (listeners)", listeners(running), listeners(next));
        add(out, "metrics", running.metrics(), next.metrics());
        add(out, "access_log", running.accessLog(), next.accessLog());
        add(out, "plugins.dir", running.plugins().dir(), next.plugins().dir());
        add(out, "plugins.phase_timeout", running.plugins().phaseTimeout(), next.plugins().phaseTimeout());
        return out;
    }

    /**
     * {@code next} with the tcp listeners the proxy runs, whatever {@code next} says of them: the
     * listeners are bound at start, and each running one finds its chain by its name. A listener
     * of the same name in {@code next} brings its chain (the chain reloads); one that {@code next}
     * drops or renames keeps the chain in force ({@code current}'s) until a restart; one that only
     * {@code next} has is not started (nothing listens for it). The listener settings themselves
     * are the started ones.
     */
    static ProxyConfig withRunningListeners(ProxyConfig next, ProxyConfig current, ProxyConfig started) {
        java.util.Map<String, dev.turnpike.runtime.config.TcpListenerSettings> byName = new java.util.HashMap<>();
        next.tcp().forEach(t -> byName.put(t.name(), t));
        java.util.Map<String, dev.turnpike.runtime.config.TcpListenerSettings> inForce = new java.util.HashMap<>();
        current.tcp().forEach(t -> inForce.put(t.name(), t));
        List<dev.turnpike.runtime.config.TcpListenerSettings> running = new ArrayList<>();
        for (var t : started.tcp()) {
            var source = byName.getOrDefault(t.name(), inForce.get(t.name()));
            running.add(new dev.turnpike.runtime.config.TcpListenerSettings(t.listen(), t.name(), t.proxyProtocol(),
                    t.idleTimeout(), source != null ? source.chain() : t.chain()));
        }
        if (running.equals(next.tcp())) {
            return next;
        }
        return new ProxyConfig(next.file(), next.server(), next.upstream(), next.plugins(), next.metrics(),
                next.accessLog(), next.tls(), next.tunnel(), next.forwardProxy(), running);
    }

    private static List<String> listeners(ProxyConfig c) {
        List<String> out = new ArrayList<>();
        for (var t : c.tcp()) {
            out.add(t.name() + "@" + t.listen() + " proxy_protocol=" + t.proxyProtocol() + " idle_timeout=" + t.idleTimeout());
        }
        return out;
    }

    private static void add(List<String> out, String key, Object was, Object now) {
        if (!Objects.equals(was, now)) {
            out.add(key + " (" + was + " -> " + now + ")");
        }
    }
}
