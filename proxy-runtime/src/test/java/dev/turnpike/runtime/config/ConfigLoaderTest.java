package dev.turnpike.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.HostPort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading valid files: defaults, every key, the chain, and the repository's own conf/proxy.yaml. */
class ConfigLoaderTest {

    @TempDir
    Path dir;

    private ProxyConfig load(String yaml) throws Exception {
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.load(file);
    }

    private static void assertDefaults(ProxyConfig c) {
        ServerSettings s = c.server();
        assertEquals(new HostPort("127.0.0.1", 8080), s.listen());
        assertEquals(Runtime.getRuntime().availableProcessors(), s.workers());
        assertEquals(16 * 1024, s.maxHeaderBytes());
        assertEquals(8192, s.maxUriLength());
        assertEquals(Duration.ofSeconds(60), s.idleTimeout());
        assertEquals(Duration.ofSeconds(30), s.requestHeaderTimeout());
        assertEquals(16, s.maxPipelined());
        UpstreamSettings u = c.upstream();
        assertEquals(Duration.ofSeconds(2), u.connectTimeout());
        assertEquals(Duration.ofSeconds(30), u.readTimeout());
        assertEquals(Duration.ofSeconds(60), u.idleTimeout());
        assertEquals(512, u.maxIdlePerPeer());
        assertEquals(Path.of("plugins").toAbsolutePath().normalize(), c.plugins().dir());
        assertEquals(List.of(), c.plugins().chain());
    }

    @Test
    void emptyFileGivesAllDefaults() throws Exception {
        ProxyConfig c = load("");
        assertDefaults(c);
        assertEquals(dir.resolve("proxy.yaml"), c.file());
    }

    @Test
    void commentsOnlyAndEmptySectionsGiveDefaults() throws Exception {
        assertDefaults(load("# nothing here\n"));
        assertDefaults(load("server:\nupstream: {}\nplugins:\n"));
    }

    @Test
    void defaultsFactoriesMatchAnEmptyFile() throws Exception {
        ProxyConfig c = load("");
        assertEquals(ServerSettings.defaults(), c.server());
        assertEquals(UpstreamSettings.defaults(), c.upstream());
        assertEquals(PluginSettings.defaults(), c.plugins());
    }

    @Test
    void everyKeyIsParsed() throws Exception {
        ProxyConfig c = load("""
                server:
                  listen: 0.0.0.0:9090
                  workers: 3
                  max_header_size: 64k
                  max_uri_length: 32k
                  idle_timeout: 90s
                  request_header_timeout: 1500ms
                  max_pipelined: 4
                upstream:
                  connect_timeout: 250ms
                  read_timeout: 2m
                  idle_timeout: 1h
                  max_idle_per_peer: 0
                plugins:
                  dir: /opt/turnpike/plugins
                  chain:
                    - id: load-balancer
                      config: { backends: [10.0.0.1:80] }
                """);
        ServerSettings s = c.server();
        assertEquals(new HostPort("0.0.0.0", 9090), s.listen());
        assertEquals(3, s.workers());
        assertEquals(64 * 1024, s.maxHeaderBytes());
        assertEquals(32 * 1024, s.maxUriLength());
        assertEquals(Duration.ofSeconds(90), s.idleTimeout());
        assertEquals(Duration.ofMillis(1500), s.requestHeaderTimeout());
        assertEquals(4, s.maxPipelined());
        UpstreamSettings u = c.upstream();
        assertEquals(Duration.ofMillis(250), u.connectTimeout());
        assertEquals(Duration.ofMinutes(2), u.readTimeout());
        assertEquals(Duration.ofHours(1), u.idleTimeout());
        assertEquals(0, u.maxIdlePerPeer());
        assertEquals(Path.of("/opt/turnpike/plugins"), c.plugins().dir());
        assertEquals(1, c.plugins().chain().size());
        assertEquals("load-balancer", c.plugins().chain().get(0).pluginId());
    }

    @Test
    void sizesAndDurationsAcceptPlainNumbers() throws Exception {
        ProxyConfig c = load("""
                server: { max_header_size: 20000, max_uri_length: 9000, idle_timeout: 5 }
                """);
        assertEquals(20000, c.server().maxHeaderBytes());
        assertEquals(9000, c.server().maxUriLength());
        assertEquals(Duration.ofSeconds(5), c.server().idleTimeout());
    }

    @Test
    void listenTakesHostnamesAndIpv6Literals() throws Exception {
        assertEquals(new HostPort("localhost", 8443), load("server: { listen: 'localhost:8443' }").server().listen());
        assertEquals(new HostPort("proxy.example.internal", 80),
                load("server: { listen: proxy.example.internal:80 }").server().listen());
        assertEquals(new HostPort("::1", 8080), load("server: { listen: '[::1]:8080' }").server().listen());
    }

    @Test
    void workersZeroMeansOnePerProcessorAndBoundsAreAccepted() throws Exception {
        assertEquals(Runtime.getRuntime().availableProcessors(), load("server: { workers: 0 }").server().workers());
        assertEquals(1024, load("server: { workers: 1024 }").server().workers());
        assertEquals(1, load("server: { workers: 1 }").server().workers());
    }

    @Test
    void relativePluginDirIsResolvedAgainstTheWorkingDirectory() throws Exception {
        Path resolved = load("plugins: { dir: 'some/../jars' }").plugins().dir();
        assertTrue(resolved.isAbsolute(), resolved::toString);
        assertEquals(Path.of(System.getProperty("user.dir"), "jars"), resolved);
    }

    @Test
    void chainKeepsOrderRepeatsAndEachEntrysConfigUnread() throws Exception {
        ProxyConfig c = load("""
                plugins:
                  chain:
                    - id: header_rewrite.v2
                      config:
                        set: { X-A: "1" }
                        anything: [1, null, { nested: true }]
                    - id: load-balancer
                    - id: header_rewrite.v2
                      config: { set: { X-B: "2" } }
                """);
        List<ChainEntry> chain = c.plugins().chain();
        assertEquals(List.of("header_rewrite.v2", "load-balancer", "header_rewrite.v2"),
                chain.stream().map(ChainEntry::pluginId).toList());
        assertEquals(List.of("plugins.chain[0]", "plugins.chain[1]", "plugins.chain[2]"),
                chain.stream().map(ChainEntry::path).toList());
        // Keys the runtime does not know are the plugin's business, not "unknown key" errors.
        assertEquals(Map.of("X-A", "1"), chain.get(0).rawConfig().get("set"));
        assertEquals(java.util.Arrays.asList(1, null, Map.of("nested", true)), chain.get(0).rawConfig().get("anything"));
        assertEquals(Map.of(), chain.get(1).rawConfig());
        assertEquals(Map.of("X-B", "2"), chain.get(2).rawConfig().get("set"));
        assertEquals("plugins.chain[2].config", chain.get(2).config().path());
    }

    @Test
    void aChainEntryIsRequiredUnlessItSaysOptional() throws Exception {
        List<ChainEntry> chain = load("""
                plugins:
                  chain:
                    - id: api-key
                    - id: tracing
                      optional: true
                    - id: load-balancer
                      optional: false
                """).plugins().chain();
        assertEquals(List.of(ChainEntry.Presence.REQUIRED, ChainEntry.Presence.OPTIONAL, ChainEntry.Presence.REQUIRED),
                chain.stream().map(ChainEntry::presence).toList());
        assertTrue(chain.get(0).required());
        assertFalse(chain.get(1).required());
        assertEquals(Map.of(), chain.get(1).rawConfig(), "optional is the runtime's key, not the plugin's config");
    }

    @Test
    void chainConfigIsImmutableAllTheWayDown() throws Exception {
        ChainEntry e = load("plugins: { chain: [ { id: p, config: { list: [1], map: { k: v } } } ] }")
                .plugins().chain().get(0);
        assertThrows(UnsupportedOperationException.class, () -> e.rawConfig().put("x", 1));
        @SuppressWarnings("unchecked")
        List<Object> list = (List<Object>) e.rawConfig().get("list");
        assertThrows(UnsupportedOperationException.class, () -> list.add(2));
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) e.rawConfig().get("map");
        assertThrows(UnsupportedOperationException.class, () -> map.put("k", "w"));
    }

    @Test
    void byteOrderMarkIsIgnored() throws Exception {
        assertEquals(7, load("\uFEFFserver: { workers: 7 }\n").server().workers());
    }

    @Test
    void theRepositoryConfParses() throws Exception {
        Path file = Path.of("../conf/proxy.yaml");
        ProxyConfig c = ConfigLoader.load(file);
        assertEquals(new HostPort("127.0.0.1", 8080), c.server().listen());
        assertEquals(Runtime.getRuntime().availableProcessors(), c.server().workers());
        assertEquals(Path.of("plugins").toAbsolutePath().normalize(), c.plugins().dir());
        assertEquals(List.of("rate-limit", "header-injection", "load-balancer"),
                c.plugins().chain().stream().map(ChainEntry::pluginId).toList());
        ChainEntry rr = c.plugins().chain().get(2);
        assertEquals("load-balancer", rr.pluginId());
        assertEquals(List.of("127.0.0.1:9001", "127.0.0.1:9002"), rr.config().strings("backends"));
    }

    @Test
    void theRepositoryConfShowsEveryDefault() throws Exception {
        // The sample file documents the defaults: it must not drift from them.
        ProxyConfig c = ConfigLoader.load(Path.of("../conf/proxy.yaml"));
        assertEquals(ServerSettings.defaults(), c.server());
        assertEquals(UpstreamSettings.defaults(), c.upstream());
        assertEquals(PluginSettings.defaults().dir(), c.plugins().dir());
        String text = Files.readString(Path.of("../conf/proxy.yaml"));
        for (String key : ServerSettings.KEYS) {
            // tls is off by default: shown commented out, with an example.
            assertTrue(text.contains("\n  " + key + ":") || text.contains("\n  # " + key + ":"), "conf/proxy.yaml lacks server." + key);
        }
        for (String key : ServerTlsSettings.KEYS) {
            assertTrue(text.contains("\n  #   " + key + ":"), "conf/proxy.yaml lacks server.tls." + key);
        }
        assertEquals(TlsSettings.defaults(), c.tls());
        for (String key : UpstreamSettings.KEYS) {
            // A key whose default is "none" is shown commented out, with an example value.
            assertTrue(text.contains("\n  " + key + ":") || text.contains("\n  # " + key + ":"),
                    "conf/proxy.yaml lacks upstream." + key);
        }
        for (String key : PluginSettings.KEYS) {
            assertTrue(text.contains("\n  " + key + ":"), "conf/proxy.yaml lacks plugins." + key);
        }
        assertEquals(ForwardProxySettings.defaults(), c.forwardProxy());
        for (String key : ForwardProxySettings.KEYS) {
            assertTrue(text.contains("\n  " + key + ":"), "conf/proxy.yaml lacks forward_proxy." + key);
        }
    }

    @Test
    void writingDefaultsExplicitlyChangesNothing() throws Exception {
        ProxyConfig c = load("""
                server: { listen: 127.0.0.1:8080, workers: 0, max_header_size: 16k, max_uri_length: 8192,
                          idle_timeout: 60s, request_header_timeout: 30s, max_pipelined: 16 }
                upstream: { connect_timeout: 2s, read_timeout: 30s, idle_timeout: 1m, max_idle_per_peer: 512 }
                plugins: { dir: plugins, chain: [] }
                """);
        assertDefaults(c);
    }
}
