package dev.turnpike.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tcp:}: the L4 listeners, their chains, and every refusal naming its key. */
class TcpListenerSettingsTest {

    @TempDir
    Path dir;

    private ProxyConfig load(String yaml) throws Exception {
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.load(file);
    }

    private ConfigException refuse(String yaml) throws Exception {
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, yaml);
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
    }

    private static final String LB = "      - id: load-balancer\n        config: { backends: [127.0.0.1:15432] }\n";

    @Test
    void aListenerWithItsChainAndDefaults() throws Exception {
        ProxyConfig c = load("tunnel: { idle_timeout: 5m }\n"
                + "plugins:\n  chain:\n    - id: rate-limit\n"
                + "tcp:\n  - listen: 127.0.0.1:5432\n    chain:\n" + LB
                + "  - listen: 127.0.0.1:5433\n    name: pg-replica\n    proxy_protocol: v2\n    idle_timeout: 30s\n"
                + "    chain:\n" + LB);
        assertEquals(2, c.tcp().size());
        TcpListenerSettings first = c.tcp().get(0);
        assertEquals("127.0.0.1:5432", first.name(), "the name defaults to the listen text");
        assertEquals(ProxyProtocolMode.NONE, first.proxyProtocol());
        assertEquals(Duration.ofMinutes(5), first.idleTimeout(), "the idle timeout defaults to tunnel.idle_timeout");
        TcpListenerSettings second = c.tcp().get(1);
        assertEquals("pg-replica", second.name());
        assertEquals(ProxyProtocolMode.V2, second.proxyProtocol());
        assertEquals(Duration.ofSeconds(30), second.idleTimeout());

        ChainEntry entry = second.chain().get(0);
        assertEquals("tcp[1].chain[0]", entry.path());
        assertEquals("pg-replica", entry.listener());
        assertTrue(entry.connectionLevel());
        assertEquals(List.of("rate-limit", "load-balancer", "load-balancer"),
                c.chainEntries().stream().map(ChainEntry::pluginId).toList(), "one generation: HTTP entries first");
        assertNull(c.chainEntries().get(0).listener());
    }

    @Test
    void refusalsNameTheKey() throws Exception {
        ConfigException e = refuse("tcp:\n  - listen: 127.0.0.1:5432\n    proxy_protocol: v3\n    chain:\n" + LB);
        assertEquals("tcp[0].proxy_protocol", e.key());
        assertEquals("expected none, v1 or v2, got 'v3'", e.reason());

        e = refuse("tcp:\n  - listen: 127.0.0.1:5432\n");
        assertEquals("tcp[0].chain", e.key());
        assertTrue(e.reason().startsWith("a tcp listener needs a chain"), e.reason());

        e = refuse("tcp:\n  - listen: 127.0.0.1:5432\n    chain:\n" + LB + "  - listen: 127.0.0.1:5432\n    name: b\n"
                + "    chain:\n" + LB);
        assertEquals("tcp[1].listen", e.key());
        assertEquals("127.0.0.1:5432 is also tcp[0].listen; each listener needs its own address", e.reason());

        e = refuse("server: { listen: 127.0.0.1:8080 }\ntcp:\n  - listen: 127.0.0.1:8080\n    chain:\n" + LB);
        assertEquals("tcp[0].listen", e.key());
        assertTrue(e.reason().contains("is also server.listen"), e.reason());

        e = refuse("tcp:\n  - { listen: 127.0.0.1:1, name: x, chain: [{ id: a }] }\n"
                + "  - { listen: 127.0.0.1:2, name: x, chain: [{ id: a }] }\n");
        assertEquals("tcp[1].name", e.key());
        assertEquals("'x' already names tcp[0]; each tcp listener needs its own name", e.reason());

        e = refuse("tcp:\n  - { listen: 'nowhere', chain: [{ id: a }] }\n");
        assertEquals("tcp[0].listen", e.key());

        e = refuse("tcp:\n  - { listen: 127.0.0.1:1, chain: [{ id: a }], proxy: v1 }\n");
        assertEquals("tcp[0].proxy", e.key());
        assertEquals("unknown key; known keys here: listen, name, proxy_protocol, idle_timeout, chain", e.reason());

        e = refuse("tcp:\n  - { listen: 127.0.0.1:1, chain: [{ id: a, conf: {} }] }\n");
        assertEquals("tcp[0].chain[0].conf", e.key());
        assertEquals("unknown key; known keys here: id, config, optional", e.reason());
    }
}
