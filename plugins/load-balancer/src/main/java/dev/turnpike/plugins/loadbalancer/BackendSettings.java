package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.api.HostPort;
import dev.turnpike.api.Peer;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.api.net.IpLiteral;
import dev.turnpike.plugins.loadbalancer.GroupSettings.Backend;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A group's {@code backends:}: each {@code host:port}, {@code http://host[:port]},
 * {@code https://host[:port]}, or a mapping of {@code address} with its weight and TLS settings.
 * Each address at most once per group, whatever its TLS settings.
 */
final class BackendSettings {

    /** The keys of a backend mapping, in the order the refusal of an unknown one lists them. */
    static final List<String> KEYS = List.of("address", "weight", "tls", "sni", "verify", "verify_hostname", "ca",
            "client_cert", "client_key");

    /** The keys that mean something only for a TLS backend. */
    private static final List<String> TLS_KEYS = KEYS.subList(KEYS.indexOf("sni"), KEYS.size());

    private BackendSettings() {
    }

    /** Host and port, and the TLS-ness its scheme asked for ({@code null}: written without a scheme). */
    private record Address(HostPort at, Boolean tlsByScheme) {
    }

    static List<Backend> read(ConfigSection s, String group, Duration connectTimeout, Duration readTimeout) {
        List<?> raw = s.list("backends");
        if (raw.isEmpty()) {
            throw s.invalid("backends", "required: a non-empty list of host:port or https://host:port");
        }
        List<Backend> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < raw.size(); i++) {
            String path = s.keyPath("backends") + "[" + i + "]";
            Object item = raw.get(i);
            Peer.Builder peer;
            int weight = 1;
            if (item instanceof String || item instanceof Number) {
                Address a = address(item.toString(), path);
                peer = Peer.builder(a.at().host(), a.at().port()).tls(Boolean.TRUE.equals(a.tlsByScheme()));
            } else if (item instanceof Map<?, ?> m) {
                ConfigSection c = section(m, path);
                peer = fromMapping(c, m);
                weight = weight(c, m.get("weight"));
            } else {
                throw new InvalidConfigException(path, "expected host:port, https://host:port or {address: ...}");
            }
            Peer built = peer.connectTimeout(connectTimeout).readTimeout(readTimeout).group(group).build();
            if (!seen.add(built.address())) {
                throw new InvalidConfigException(path, built.address() + " is listed twice; give it a weight instead");
            }
            out.add(new Backend(built, weight));
        }
        return out;
    }

    private static ConfigSection section(Map<?, ?> m, String path) {
        for (Object k : m.keySet()) {
            if (!KEYS.contains(k)) {
                throw new InvalidConfigException(path + "." + k,
                        "unknown key (a backend takes " + String.join(", ", KEYS) + ")");
            }
        }
        return ConfigSection.of(path, m);
    }

    private static Peer.Builder fromMapping(ConfigSection c, Map<?, ?> m) {
        if (!(m.get("address") instanceof String text)) {
            throw c.invalid("address", "required: host:port, http://host[:port] or https://host[:port]");
        }
        // The backend's own path, not .address: as it has been for a bad address since before TLS.
        Address a = address(text, c.path());
        boolean tls = Boolean.TRUE.equals(a.tlsByScheme());
        if (c.has("tls")) {
            tls = c.bool("tls", false);
            if (a.tlsByScheme() != null && a.tlsByScheme() != tls) {
                throw c.invalid("tls", "tls: " + tls + " contradicts the address " + text);
            }
        }
        Peer.Builder b = Peer.builder(a.at().host(), a.at().port()).tls(tls);
        if (!tls) {
            for (String k : TLS_KEYS) {
                if (c.has(k)) {
                    throw c.invalid(k, k + (a.tlsByScheme() == null ? " needs tls: true" : " needs an https:// address"));
                }
            }
            return b;
        }
        b.verify(c.bool("verify", true)).verifyHostname(c.bool("verify_hostname", true));
        sni(c, m.get("sni"), b);
        if (c.has("client_cert") != c.has("client_key")) {
            String missing = c.has("client_cert") ? "client_key" : "client_cert";
            throw c.invalid(missing, "required with " + (c.has("client_cert") ? "client_cert" : "client_key")
                    + ": a client certificate needs its key, and a key its certificate");
        }
        b.ca(file(c, "ca", m.get("ca")));
        b.clientCertificate(file(c, "client_cert", m.get("client_cert")), file(c, "client_key", m.get("client_key")));
        return b;
    }

    /**
     * Parses {@code host:port}, or {@code http://} / {@code https://} with the host and an optional
     * port (80 and 443 by default); nothing may follow the port.
     */
    private static Address address(String text, String path) {
        String t = text.trim();
        int sep = t.indexOf("://");
        if (sep < 0) {
            return new Address(hostPort(t, t, path), null);
        }
        String scheme = t.substring(0, sep);
        boolean tls;
        if (scheme.equalsIgnoreCase("https")) {
            tls = true;
        } else if (scheme.equalsIgnoreCase("http")) {
            tls = false;
        } else {
            throw new InvalidConfigException(path, "'" + text + "': unknown scheme " + scheme
                    + "://; expected host:port, http://host[:port] or https://host[:port]");
        }
        String rest = t.substring(sep + 3);
        int extra = indexOfAny(rest, "/?#");
        if (extra >= 0) {
            throw new InvalidConfigException(path, "'" + text + "': a backend is a host and port, without a path ("
                    + rest.substring(extra) + "); the request's own path is sent");
        }
        if (rest.isEmpty()) {
            throw new InvalidConfigException(path, "'" + text + "' names no host");
        }
        boolean hasPort = rest.startsWith("[") ? !rest.endsWith("]") : rest.indexOf(':') >= 0;
        String withPort = hasPort ? rest : rest + ":" + (tls ? 443 : 80);
        return new Address(hostPort(withPort, text, path), tls);
    }

    /** {@link HostPort#parse}, its complaint about {@code parsed} told of {@code written}. */
    private static HostPort hostPort(String parsed, String written, String path) {
        try {
            return HostPort.parse(parsed);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(path, e.getMessage().replace("'" + parsed + "'", "'" + written + "'"));
        }
    }

    private static int indexOfAny(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private static int weight(ConfigSection c, Object w) {
        if (w == null) {
            return 1;
        }
        if (!(w instanceof Integer n) || n < 1 || n > 1000) {
            throw c.invalid("weight", "expected a whole number within 1..1000, got " + w);
        }
        return n;
    }

    private static void sni(ConfigSection c, Object v, Peer.Builder b) {
        if (v == null) {
            return;
        }
        if (!(v instanceof String name)) {
            throw c.invalid("sni", "expected a host name, got " + describe(v));
        }
        if (IpLiteral.parse(name) != null) {
            throw c.invalid("sni", "'" + name + "' is an IP literal; SNI carries host names only (leave sni out"
                    + " to verify the certificate against the address)");
        }
        try {
            b.sni(name);
        } catch (IllegalArgumentException e) {
            throw c.invalid("sni", e.getMessage());
        }
    }

    /**
     * A PEM file the runtime reads when it first connects. Checked now so that a typo refuses the
     * configuration instead of failing every connection to the backend; kept as written (a relative
     * path is the runtime's to resolve, against its working directory, as the server's own
     * certificate paths are).
     */
    private static Path file(ConfigSection c, String key, Object v) {
        if (v == null) {
            return null;
        }
        if (!(v instanceof String text) || text.isBlank()) {
            throw c.invalid(key, "expected the path of a PEM file, got " + describe(v));
        }
        Path p;
        try {
            p = Path.of(text);
        } catch (InvalidPathException e) {
            throw c.invalid(key, "'" + text + "' is not a file path: " + e.getReason());
        }
        String where = p.isAbsolute() ? "" : " (relative to the working directory " + Path.of("").toAbsolutePath() + ")";
        if (!Files.exists(p)) {
            throw c.invalid(key, "no such file: " + text + where);
        }
        if (!Files.isRegularFile(p)) {
            throw c.invalid(key, text + " is not a file" + where);
        }
        if (!Files.isReadable(p)) {
            throw c.invalid(key, text + " cannot be read (permissions)" + where);
        }
        return p;
    }

    private static String describe(Object v) {
        return v instanceof Map ? "a mapping" : v instanceof List ? "a list" : String.valueOf(v);
    }
}
