package dev.turnpike.runtime.reload;

import dev.turnpike.runtime.config.Limits;
import dev.turnpike.runtime.config.ProxyConfig;
import dev.turnpike.runtime.config.ServerTlsSettings;
import java.time.Duration;
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

    /**
     * The keys whose value differs between {@code running} and {@code next}, each as
     * {@code "upstream.read_timeout: 30s -> 10s"}: durations and sizes as an operator writes them,
     * an absent optional key as {@code unset}.
     */
    static List<String> differences(ProxyConfig running, ProxyConfig next) {
        List<String> out = new ArrayList<>();
        var a = running.server();
        var b = next.server();
        add(out, "server.listen", a.listen(), b.listen());
        add(out, "server.workers", a.workers(), b.workers());
        size(out, "server.max_header_size", a.maxHeaderBytes(), b.maxHeaderBytes());
        add(out, "server.max_uri_length", a.maxUriLength(), b.maxUriLength());
        add(out, "server.idle_timeout", a.idleTimeout(), b.idleTimeout());
        add(out, "server.request_header_timeout", a.requestHeaderTimeout(), b.requestHeaderTimeout());
        add(out, "server.max_pipelined", a.maxPipelined(), b.maxPipelined());
        size(out, "server.max_body_size", a.maxBodyBytes(), b.maxBodyBytes());
        add(out, "server.grace_period", a.gracePeriod(), b.gracePeriod());
        add(out, "server.request_body_timeout", a.requestBodyTimeout(), b.requestBodyTimeout());
        add(out, "server.send_timeout", a.sendTimeout(), b.sendTimeout());
        // The certificate files' contents reload by themselves (and on SIGHUP); which files, and the
        // listener around them, are bound at start.
        serverTls(out, a.tls(), b.tls());
        add(out, "tls.provider", running.tls().provider(), next.tls().provider());
        add(out, "tunnel.idle_timeout", running.tunnel().idleTimeout(), next.tunnel().idleTimeout());
        var fa = running.forwardProxy();
        var fb = next.forwardProxy();
        add(out, "forward_proxy.enabled", fa.enabled(), fb.enabled());
        add(out, "forward_proxy.connect_ports", fa.connectPorts(), fb.connectPorts());
        add(out, "forward_proxy.allow", fa.allow(), fb.allow());
        add(out, "forward_proxy.deny_networks", fa.denyNetworks(), fb.denyNetworks());
        var ua = running.upstream();
        var ub = next.upstream();
        add(out, "upstream.connect_timeout", ua.connectTimeout(), ub.connectTimeout());
        add(out, "upstream.read_timeout", ua.readTimeout(), ub.readTimeout());
        add(out, "upstream.write_timeout", ua.writeTimeout(), ub.writeTimeout());
        add(out, "upstream.total_timeout", ua.totalTimeout(), ub.totalTimeout());
        add(out, "upstream.idle_timeout", ua.idleTimeout(), ub.idleTimeout());
        add(out, "upstream.max_idle_per_peer", ua.maxIdlePerPeer(), ub.maxIdlePerPeer());
        size(out, "upstream.retry_body_limit", ua.retryBodyLimit(), ub.retryBodyLimit());
        // A tcp listener's chain reloads with the others; the listener itself is bound at start.
        add(out, "tcp (listeners)", listeners(running), listeners(next));
        add(out, "metrics.enabled", running.metrics().enabled(), next.metrics().enabled());
        add(out, "metrics.listen", running.metrics().listen(), next.metrics().listen());
        add(out, "metrics.group_label", running.metrics().groupLabel(), next.metrics().groupLabel());
        var la = running.accessLog();
        var lb = next.accessLog();
        add(out, "access_log.enabled", la.enabled(), lb.enabled());
        add(out, "access_log.format", la.format(), lb.format());
        add(out, "access_log.template", la.template(), lb.template());
        add(out, "access_log.file", la.file(), lb.file());
        size(out, "access_log.max_file_size", la.maxFileSize(), lb.maxFileSize());
        add(out, "access_log.max_history", la.maxHistory(), lb.maxHistory());
        add(out, "plugins.dir", running.plugins().dir(), next.plugins().dir());
        add(out, "plugins.phase_timeout", running.plugins().phaseTimeout(), next.plugins().phaseTimeout());
        return out;
    }

    private static void serverTls(List<String> out, ServerTlsSettings a, ServerTlsSettings b) {
        if (a == null || b == null) {
            add(out, "server.tls", a == null ? null : "a TLS listener on " + a.listen(),
                    b == null ? null : "a TLS listener on " + b.listen());
            return;
        }
        add(out, "server.tls.listen", a.listen(), b.listen());
        add(out, "server.tls.certificates", files(a), files(b));
        add(out, "server.tls.default_certificate", a.defaultCertificate(), b.defaultCertificate());
        add(out, "server.tls.protocols", a.protocols(), b.protocols());
        add(out, "server.tls.client_auth", a.clientAuth(), b.clientAuth());
        add(out, "server.tls.client_auth.ca", a.clientCa(), b.clientCa());
        add(out, "server.tls.handshake_timeout", a.handshakeTimeout(), b.handshakeTimeout());
    }

    private static List<String> files(ServerTlsSettings t) {
        return t.certificates().stream().map(c -> c.cert() + " + " + c.key()).toList();
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
            out.add(key + ": " + text(was) + " -> " + text(now));
        }
    }

    private static void size(List<String> out, String key, long was, long now) {
        if (was != now) {
            out.add(key + ": " + Limits.text(was) + " -> " + Limits.text(now));
        }
    }

    private static String text(Object value) {
        if (value == null) {
            return "unset";
        }
        return value instanceof Duration d ? Limits.text(d) : value.toString();
    }
}
