package dev.turnpike.runtime.config;

import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Reads the proxy's configuration file ({@code conf/proxy.yaml} by default) into a checked
 * {@link ProxyConfig}.
 *
 * <p>The file is YAML (UTF-8) with three optional top-level sections, {@code server},
 * {@code upstream}, {@code plugins}, {@code metrics} and {@code access_log}; see the settings record
 * of each for its keys and defaults. Anything wrong is refused with a
 * {@link ConfigException} naming the file, the key and the reason: a value of the wrong type or out
 * of range, a duplicate key, and any key the runtime does not know (a misspelt key must not quietly
 * fall back to its default). A chain entry's {@code config:} is not checked here: each plugin checks
 * its own when started.
 */
public final class ConfigLoader {

    private static final Map<String, List<String>> KNOWN_KEYS = Map.ofEntries(
            Map.entry("", List.of("server", "upstream", "plugins", "metrics", "access_log", "tls", "tunnel", "forward_proxy", "tcp")),
            Map.entry("server", ServerSettings.KEYS),
            Map.entry("server.tls", ServerTlsSettings.KEYS),
            Map.entry("tls", TlsSettings.KEYS),
            Map.entry("tunnel", TunnelSettings.KEYS),
            Map.entry("forward_proxy", ForwardProxySettings.KEYS),
            Map.entry("upstream", UpstreamSettings.KEYS),
            Map.entry("plugins", PluginSettings.KEYS),
            Map.entry("metrics", MetricsSettings.KEYS),
            Map.entry("access_log", AccessLogSettings.KEYS),
            Map.entry("plugins.chain[]", PluginSettings.ENTRY_KEYS),
            Map.entry("tcp[]", TcpListenerSettings.KEYS),
            Map.entry("tcp[].chain[]", PluginSettings.ENTRY_KEYS));

    private ConfigLoader() {
    }

    /**
     * Loads and checks {@code file}.
     *
     * @throws ConfigException when the file cannot be read, is not YAML, or holds a value or key the
     *                         runtime refuses; its message is {@code <file>: <key>: <reason>}
     */
    public static ProxyConfig load(Path file) throws ConfigException {
        Object document = YamlFile.parse(file, read(file));
        if (document != null && !(document instanceof Map)) {
            throw new ConfigException(file, "", "expected a mapping of sections (server, upstream, plugins, ...) at the"
                    + " top level, got " + (document instanceof List ? "a list" : "'" + document + "'"));
        }
        try {
            ConfigSection root = ConfigSection.of("", (Map<?, ?>) document);
            ServerSettings server = ServerSettings.read(root.section("server"));
            MetricsSettings metrics = MetricsSettings.read(root.section("metrics"));
            TunnelSettings tunnel = TunnelSettings.read(root.section("tunnel"));
            ProxyConfig config = new ProxyConfig(
                    file,
                    server,
                    UpstreamSettings.read(root.section("upstream")),
                    PluginSettings.read(root.section("plugins")),
                    metrics,
                    AccessLogSettings.read(root.section("access_log")),
                    TlsSettings.read(root.section("tls")),
                    tunnel,
                    ForwardProxySettings.read(root.section("forward_proxy")),
                    TcpListenerSettings.readAll(root, tunnel, listenersOf(server, metrics)));
            List<String> unknown = root.unreadKeys();
            if (!unknown.isEmpty()) {
                throw new ConfigException(file, unknown.get(0), "unknown key" + knownHint(root, unknown.get(0)));
            }
            return config;
        } catch (InvalidConfigException e) {
            throw ConfigException.of(file, e);
        }
    }

    /** The addresses the HTTP and admin listeners take, by key, which a tcp listener may not share. */
    private static Map<dev.turnpike.api.HostPort, String> listenersOf(ServerSettings server, MetricsSettings metrics) {
        Map<dev.turnpike.api.HostPort, String> taken = new java.util.HashMap<>();
        if (server.listen() != null) {
            taken.put(server.listen(), "server.listen");
        }
        if (server.tls() != null) {
            taken.put(server.tls().listen(), "server.tls.listen");
        }
        if (metrics.enabled() && metrics.listen().port() != 0) {
            taken.putIfAbsent(metrics.listen(), "metrics.listen");
        }
        return taken;
    }

    private static String read(Path file) throws ConfigException {
        try {
            if (Files.isDirectory(file)) {
                throw new ConfigException(file, "", "cannot read: is a directory");
            }
            String text = Files.readString(file);
            // An editor's byte order mark is not part of the document.
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (NoSuchFileException e) {
            throw new ConfigException(file, "", "cannot read: no such file", e);
        } catch (AccessDeniedException e) {
            throw new ConfigException(file, "", "cannot read: permission denied", e);
        } catch (CharacterCodingException e) {
            throw new ConfigException(file, "", "cannot read: not UTF-8 text", e);
        } catch (IOException e) {
            throw new ConfigException(file, "", "cannot read: " + (e.getMessage() != null ? e.getMessage() : e), e);
        }
    }

    /** "; known keys here: ..." for an unknown key whose section the runtime owns, else "". */
    private static String knownHint(ConfigSection root, String keyPath) {
        String section;
        String nesting = "";
        if (root.keys().contains(keyPath)) {
            section = "";
            if (keyPath.indexOf('.') >= 0) {
                // "server.listen: ..." at the top level: YAML does not expand dotted keys.
                nesting = " (sections nest: write the key indented under its section)";
            }
        } else {
            int dot = keyPath.lastIndexOf('.');
            section = keyPath.substring(0, Math.max(dot, 0)).replaceAll("\\[\\d+]", "[]");
        }
        List<String> known = KNOWN_KEYS.get(section);
        return nesting + (known == null ? "" : "; known keys here: " + String.join(", ", known));
    }
}
