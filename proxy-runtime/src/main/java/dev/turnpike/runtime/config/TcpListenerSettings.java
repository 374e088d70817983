package dev.turnpike.runtime.config;

import dev.turnpike.api.HostPort;
import dev.turnpike.api.config.ConfigSection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One entry of {@code tcp:}: an L4 listener that relays each accepted connection, byte for byte,
 * to a backend its chain's connection phases choose. No HTTP is read.
 *
 * @param listen        {@code listen}: the address to accept on (port 0: any free port, for tests)
 * @param name          {@code name}: how logs, metrics and {@code ConnectionSession.listener()} call
 *                      it (default: the {@code listen} text); unique among the listeners
 * @param proxyProtocol {@code proxy_protocol}: {@code none} (default), {@code v1} or {@code v2}
 * @param idleTimeout   {@code idle_timeout}: how long a connection may carry no byte either way
 *                      before both ends are closed (default {@code tunnel.idle_timeout})
 * @param chain         {@code chain}: the connection-level plugins, as {@code plugins.chain} entries
 *                      ({@code id}, {@code config}, {@code optional}); their plugins must implement
 *                      {@code ConnectionPlugin}
 */
public record TcpListenerSettings(HostPort listen, String name, ProxyProtocolMode proxyProtocol, Duration idleTimeout,
                                  List<ChainEntry> chain) {

    static final List<String> KEYS = List.of("listen", "name", "proxy_protocol", "idle_timeout", "chain");

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:\\[\\]-]+");

    public TcpListenerSettings {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(proxyProtocol, "proxyProtocol");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        chain = List.copyOf(chain);
    }

    /**
     * Reads {@code tcp:}, a list of listeners; errors name the key.
     *
     * @param tunnel the {@code tunnel:} section in force, whose idle timeout is the default
     * @param taken  the addresses other listeners use, by key ({@code server.listen}...), which no
     *               tcp listener may share
     */
    static List<TcpListenerSettings> readAll(ConfigSection root, TunnelSettings tunnel, Map<HostPort, String> taken) {
        List<TcpListenerSettings> out = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        Map<HostPort, String> addresses = new HashMap<>(taken);
        for (ConfigSection s : root.sections("tcp")) {
            TcpListenerSettings t = read(s, tunnel);
            String sameName = names.putIfAbsent(t.name(), s.path());
            if (sameName != null) {
                throw s.invalid(s.has("name") ? "name" : "listen", "'" + t.name() + "' already names " + sameName
                        + "; each tcp listener needs its own name");
            }
            String sameAddress = t.listen().port() == 0 ? null : addresses.putIfAbsent(t.listen(), s.keyPath("listen"));
            if (sameAddress != null) {
                throw s.invalid("listen", t.listen() + " is also " + sameAddress + "; each listener needs its own address");
            }
            out.add(t);
        }
        return out;
    }

    private static TcpListenerSettings read(ConfigSection s, TunnelSettings tunnel) {
        String listenText = s.string("listen");
        HostPort listen;
        try {
            listen = HostPort.parseAllowingPortZero(listenText);
        } catch (IllegalArgumentException e) {
            throw s.invalid("listen", e.getMessage());
        }
        String name = s.string("name", listenText.trim());
        if (!NAME.matcher(name).matches()) {
            throw s.invalid("name", "'" + name + "' is not a listener name (letters, digits, '.', '_', '-', ':')");
        }
        ProxyProtocolMode proxyProtocol;
        try {
            proxyProtocol = ProxyProtocolMode.parse(s.string("proxy_protocol", "none"));
        } catch (IllegalArgumentException e) {
            throw s.invalid("proxy_protocol", e.getMessage());
        }
        Duration idle = Limits.duration(s, "idle_timeout", tunnel.idleTimeout());
        List<ChainEntry> chain = PluginSettings.readChain(s, "chain", name);
        if (chain.isEmpty()) {
            throw s.invalid("chain", "a tcp listener needs a chain with a plugin that chooses the backend (upstream_peer), "
                    + "such as load-balancer");
        }
        return new TcpListenerSettings(listen, name, proxyProtocol, idle, chain);
    }
}
