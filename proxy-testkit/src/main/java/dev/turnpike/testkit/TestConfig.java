package dev.turnpike.testkit;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Turns a test's YAML snippet into a whole configuration file for an in-process proxy:
 * placeholders filled in, then what the snippet leaves out set for a test (the proxy listener on a
 * port of 127.0.0.1 found free just before, the metrics listener on port 0, the plugin directory the
 * testkit made). Whatever the
 * snippet sets stays as written.
 *
 * <p>Placeholders: {@code ${backend.NAME}} → {@code 127.0.0.1:PORT} of the backend registered as
 * NAME; {@code ${plugins.dir}} → the plugin directory. An unknown placeholder is refused.
 */
final class TestConfig {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_.-]+)}");

    private final Map<String, TestBackend> backends;
    private final Path pluginsDir;
    private final int port;

    /** {@code port}: the proxy's cleartext port when the snippet names none (the runtime refuses port 0 there). */
    TestConfig(Map<String, TestBackend> backends, Path pluginsDir, int port) {
        this.backends = backends;
        this.pluginsDir = pluginsDir;
        this.port = port;
    }

    /** The file's text for {@code snippet}. */
    String render(String snippet) {
        String filled = fill(snippet);
        Object parsed = new Yaml().load(filled);
        Map<String, Object> root = new LinkedHashMap<>();
        if (parsed instanceof Map<?, ?> m) {
            m.forEach((k, v) -> root.put(String.valueOf(k), v));
        } else if (parsed != null) {
            throw new IllegalArgumentException("the YAML snippet must be a mapping, not " + parsed.getClass().getSimpleName());
        }
        Map<String, Object> server = section(root, "server");
        if (!server.containsKey("listen") && !server.containsKey("tls")) {
            server.put("listen", "127.0.0.1:" + port);
        }
        section(root, "metrics").putIfAbsent("listen", "127.0.0.1:0");
        section(root, "plugins").putIfAbsent("dir", pluginsDir.toAbsolutePath().toString());
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return "# written by the Turnpike testkit from the test's snippet\n" + new Yaml(options).dump(root);
    }

    private String fill(String snippet) {
        Matcher m = PLACEHOLDER.matcher(snippet);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(valueOf(m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }

    private String valueOf(String name) {
        if (name.equals("plugins.dir")) {
            return pluginsDir.toAbsolutePath().toString();
        }
        if (name.startsWith("backend.")) {
            TestBackend b = backends.get(name.substring("backend.".length()));
            if (b != null) {
                return b.hostPort();
            }
        }
        throw new IllegalArgumentException("unknown placeholder ${" + name + "}: known are ${plugins.dir}"
                + (backends.isEmpty() ? "" : " and " + backends.keySet().stream().map(k -> "${backend." + k + "}").toList())
                + " (register a backend with the builder's backend(name, backend))");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(Map<String, Object> root, String key) {
        Object v = root.get(key);
        if (v == null) {
            Map<String, Object> fresh = new LinkedHashMap<>();
            root.put(key, fresh);
            return fresh;
        }
        if (!(v instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("'" + key + "' in the YAML snippet must be a mapping");
        }
        return (Map<String, Object>) v;
    }
}
