package dev.turnpike.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of refusal names the file, the key (where there is one) and the reason. */
class ConfigErrorsTest {

    @TempDir
    Path dir;

    private Path file;

    private ConfigException refuse(String yaml) throws Exception {
        file = dir.resolve("proxy.yaml");
        Files.writeString(file, yaml);
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
    }

    private void assertError(ConfigException e, String key, String reason) {
        assertEquals(file, e.file());
        assertEquals(key, e.key());
        assertEquals(reason, e.reason());
        assertEquals(key.isEmpty() ? file + ": " + reason : file + ": " + key + ": " + reason, e.getMessage());
    }

    // ---- unknown keys ----

    @Test
    void unknownTopLevelKey() throws Exception {
        assertError(refuse("sever:\n  listen: 127.0.0.1:80\n"),
                "sever", "unknown key; known keys here: server, upstream, plugins, metrics, access_log, tls, tunnel, forward_proxy, tcp");
    }

    @Test
    void unknownKeyInASection() throws Exception {
        assertError(refuse("server:\n  listen: 127.0.0.1:80\n  max_header_bytes: 32k\n"),
                "server.max_header_bytes", "unknown key; known keys here: listen, workers, max_header_size,"
                        + " max_uri_length, idle_timeout, request_header_timeout, max_pipelined, max_body_size, grace_period,"
                        + " request_body_timeout, send_timeout, tls");
        assertError(refuse("upstream: { conect_timeout: 1s }"), "upstream.conect_timeout",
                "unknown key; known keys here: connect_timeout, read_timeout, idle_timeout, max_idle_per_peer,"
                        + " retry_body_limit, write_timeout, total_timeout");
        assertError(refuse("plugins: { directory: x }"), "plugins.directory",
                "unknown key; known keys here: dir, chain, phase_timeout");
    }

    @Test
    void unknownKeyInAChainEntryButNotInsideItsConfig() throws Exception {
        assertError(refuse("plugins:\n  chain:\n    - id: a\n    - id: b\n      cfg: { x: 1 }\n"),
                "plugins.chain[1].cfg", "unknown key; known keys here: id, config, optional");
    }

    @Test
    void optionalIsTrueOrFalse() throws Exception {
        // A quoted 'yes' must not pass for a switch that decides whether a plugin may go missing.
        assertError(refuse("plugins:\n  chain:\n    - id: a\n      optional: 'yes'\n"),
                "plugins.chain[0].optional", "expected true or false, got 'yes'");
    }

    @Test
    void dottedKeyAtTheTopLevelIsExplained() throws Exception {
        assertError(refuse("server.listen: 127.0.0.1:80\n"), "server.listen",
                "unknown key (sections nest: write the key indented under its section);"
                        + " known keys here: server, upstream, plugins, metrics, access_log, tls, tunnel, forward_proxy, tcp");
    }

    @Test
    void unknownKeyDeeperThanTheRuntimeKnowsHasNoHint() throws Exception {
        assertError(refuse("server: { listen: { host: a } }"), "server.listen", "expected a text value, got a mapping");
    }

    // ---- types ----

    @Test
    void wrongTypes() throws Exception {
        assertError(refuse("server: 5\n"), "server", "expected a mapping, got '5'");
        assertError(refuse("server: { workers: many }"), "server.workers", "expected a whole number, got 'many'");
        assertError(refuse("server: { workers: 2.5 }"), "server.workers", "expected a whole number, got '2.5'");
        assertError(refuse("server: { listen: [a, b] }"), "server.listen", "expected a text value, got a list");
        assertError(refuse("plugins: { chain: { id: x } }"), "plugins.chain", "expected a list, got a mapping");
        assertError(refuse("plugins: { chain: [ load-balancer ] }"), "plugins.chain[0]",
                "expected a mapping, got 'load-balancer'");
        assertError(refuse("plugins: { chain: [ { id: x, config: [1] } ] }"), "plugins.chain[0].config",
                "expected a mapping, got a list");
    }

    @Test
    void topLevelMustBeAMapping() throws Exception {
        assertError(refuse("- server\n- upstream\n"), "",
                "expected a mapping of sections (server, upstream, plugins, ...) at the top level, got a list");
        assertError(refuse("just text\n"), "",
                "expected a mapping of sections (server, upstream, plugins, ...) at the top level, got 'just text'");
    }

    @Test
    void nonTextKeyIsRefused() throws Exception {
        assertError(refuse("server: { 8080: x }"), "server.8080", "keys must be strings");
    }

    // ---- addresses ----

    @Test
    void listenWithoutPort() throws Exception {
        assertError(refuse("server:\n  listen: localhost\n"), "server.listen", "'localhost' is not host:port");
    }

    @Test
    void listenWithBadHost() throws Exception {
        assertError(refuse("server: { listen: 'bad host:80' }"), "server.listen", "'bad host:80' has an invalid host");
    }

    @Test
    void listenWithBadPort() throws Exception {
        assertError(refuse("server: { listen: '127.0.0.1:70000' }"), "server.listen",
                "'127.0.0.1:70000' has port 70000, outside 1..65535");
        assertError(refuse("server: { listen: '127.0.0.1:0' }"), "server.listen",
                "'127.0.0.1:0' has port 0, outside 1..65535");
        assertError(refuse("server: { listen: 'localhost:http' }"), "server.listen",
                "'localhost:http' has a port that is not a number");
    }

    // ---- ranges ----

    @Test
    void workersOutOfRange() throws Exception {
        assertError(refuse("server: { workers: 1025 }"), "server.workers", "1025 is outside 0..1024");
        assertError(refuse("server: { workers: -1 }"), "server.workers", "-1 is outside 0..1024");
    }

    @Test
    void otherCountsOutOfRange() throws Exception {
        assertError(refuse("server: { max_pipelined: 0 }"), "server.max_pipelined", "0 is outside 1..1024");
        assertError(refuse("upstream: { max_idle_per_peer: 20000 }"), "upstream.max_idle_per_peer",
                "20000 is outside 0..16384");
    }

    @Test
    void badDuration() throws Exception {
        assertError(refuse("upstream: { connect_timeout: fast }"), "upstream.connect_timeout",
                "expected a duration such as 250ms, 5s or 2m, got 'fast'");
        assertError(refuse("server: { idle_timeout: 5d }"), "server.idle_timeout",
                "expected a duration such as 250ms, 5s or 2m, got '5d'");
    }

    @Test
    void durationsMustBePositiveAndBounded() throws Exception {
        assertError(refuse("server: { request_header_timeout: 0s }"), "server.request_header_timeout",
                "0s is outside 1ms..24h");
        assertError(refuse("upstream: { read_timeout: 0.5ms }"), "upstream.read_timeout",
                "0.5ms is outside 1ms..24h");
        assertError(refuse("upstream: { idle_timeout: 25h }"), "upstream.idle_timeout", "25h is outside 1ms..24h");
        assertError(refuse("upstream: { idle_timeout: -5 }"), "upstream.idle_timeout", "a duration cannot be negative");
    }

    @Test
    void badSize() throws Exception {
        assertError(refuse("server: { max_header_size: 16x }"), "server.max_header_size",
                "expected a size such as 16384, 16k or 1m, got '16x'");
        assertError(refuse("server: { max_header_size: 4m }"), "server.max_header_size", "4m is outside 1k..2m");
        assertError(refuse("server: { max_uri_length: 4096 }"), "server.max_uri_length", "4k is outside 8000..1m");
        assertError(refuse("server: { max_uri_length: 2m }"), "server.max_uri_length", "2m is outside 8000..1m");
    }

    @Test
    void headerLimitMustLeaveRoomForTheUriLimit() throws Exception {
        assertError(refuse("server: { max_header_size: 8k }"), "server.max_header_size",
                "8k must be larger than server.max_uri_length (8k): the request head includes the request line");
        assertError(refuse("server: { max_uri_length: 64k }"), "server.max_header_size",
                "16k must be larger than server.max_uri_length (64k): the request head includes the request line");
    }

    // ---- plugins ----

    @Test
    void badPluginIds() throws Exception {
        assertError(refuse("plugins: { chain: [ { config: { a: 1 } } ] }"), "plugins.chain[0].id", "required");
        assertError(refuse("plugins: { chain: [ { id: '' } ] }"), "plugins.chain[0].id",
                "'' is not a plugin id (letters, digits, '.', '_', '-')");
        assertError(refuse("plugins: { chain: [ { id: ok }, { id: 'a/b' } ] }"), "plugins.chain[1].id",
                "'a/b' is not a plugin id (letters, digits, '.', '_', '-')");
    }

    @Test
    void emptyPluginDir() throws Exception {
        assertError(refuse("plugins: { dir: '' }"), "plugins.dir", "must not be empty");
    }

    // ---- the file itself ----

    @Test
    void yamlSyntaxErrorGivesLineAndColumn() throws Exception {
        assertError(refuse("server:\n  listen: host: 80\n"), "",
                "line 2, column 15: mapping values are not allowed here");
        // A key indented less than its siblings: the position points at it.
        assertError(refuse("server:\n  listen: 127.0.0.1:80\n workers: 2\n"), "",
                "line 3, column 2: expected <block end>, but found '<block mapping start>'"
                        + " (while parsing a block mapping at line 1, column 1)");
    }

    @Test
    void yamlSyntaxErrorWithContextNamesBothPlaces() throws Exception {
        ConfigException e = refuse("server:\n  listen: [127.0.0.1:80\nupstream: {}\n");
        assertEquals("", e.key());
        assertTrue(e.reason().matches("line \\d+, column \\d+: .*\\(while parsing a flow sequence at line 2, column 11\\)"),
                e.reason());
    }

    @Test
    void duplicateKeyNamesItsPath() throws Exception {
        assertError(refuse("server:\n  listen: 127.0.0.1:80\n  workers: 2\n  listen: 127.0.0.1:81\n"),
                "server.listen", "duplicate key (line 4, column 3)");
        assertError(refuse("plugins:\n  chain:\n    - id: a\n      config: { x: 1, x: 2 }\n"),
                "plugins.chain[0].config.x", "duplicate key (line 4, column 23)");
    }

    @Test
    void duplicateTopLevelSection() throws Exception {
        assertError(refuse("server: {}\nupstream: {}\nserver: {}\n"), "server", "duplicate key (line 3, column 1)");
    }

    @Test
    void moreThanOneDocumentIsRefused() throws Exception {
        ConfigException e = refuse("server: {}\n---\nserver: {}\n");
        assertEquals("", e.key());
        assertTrue(e.reason().startsWith("line 2, column 1: but found another document"), e.reason());
    }

    @Test
    void typeTagsAreNeverConstructed() throws Exception {
        ConfigException e = refuse("server: !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[]]]\n");
        assertEquals("", e.key());
        assertTrue(e.reason().startsWith("line 1, column 9: "), e.reason());
        assertTrue(e.reason().contains("javax.script.ScriptEngineManager"), e.reason());
    }

    @Test
    void missingFile() throws Exception {
        file = dir.resolve("absent.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertError(e, "", "cannot read: no such file");
    }

    @Test
    void directoryInsteadOfFile() throws Exception {
        file = dir;
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir));
        assertError(e, "", "cannot read: is a directory");
    }

    @Test
    void notUtf8() throws Exception {
        file = dir.resolve("latin1.yaml");
        Files.write(file, "server: { listen: 'caf\u00e9:80' }".getBytes(StandardCharsets.ISO_8859_1));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertError(e, "", "cannot read: not UTF-8 text");
    }

    @Test
    void fileIsNamedAsGiven() throws Exception {
        Path absolute = dir.resolve("proxy.yaml");
        Files.writeString(absolute, "server: { workers: 2000 }");
        Path relative = Path.of("").toAbsolutePath().relativize(absolute);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(relative));
        assertEquals(relative + ": server.workers: 2000 is outside 0..1024", e.getMessage());
    }

    // ---- plugin errors reported like the runtime's ----

    @Test
    void pluginErrorIsWrappedWithTheFileName() throws Exception {
        Path conf = dir.resolve("proxy.yaml");
        Files.writeString(conf, "plugins: { chain: [ { id: load-balancer, config: { backend: [a] } } ] }");
        ChainEntry entry = ConfigLoader.load(conf).plugins().chain().get(0);
        // What a plugin does in start(): read its section, refuse what it lacks or does not know.
        ConfigSection section = entry.config();
        InvalidConfigException fromPlugin = assertThrows(InvalidConfigException.class, () -> {
            if (section.strings("backends").isEmpty()) {
                throw section.invalid("backends", "at least one backend is required");
            }
        });
        ConfigException e = ConfigException.of(conf, fromPlugin);
        assertEquals(conf + ": plugins.chain[0].config.backends: at least one backend is required", e.getMessage());
        assertEquals("plugins.chain[0].config.backends", e.key());
        assertEquals("at least one backend is required", e.reason());
        assertInstanceOf(InvalidConfigException.class, e.getCause());
        assertEquals("plugins.chain[0].config.backend", section.unreadKeys().get(0));
    }
}
