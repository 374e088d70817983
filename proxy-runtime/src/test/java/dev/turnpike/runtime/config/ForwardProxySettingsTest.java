package dev.turnpike.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ForwardProxySettingsTest {

    @TempDir
    Path dir;

    private ProxyConfig load(String yaml) throws Exception {
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.load(file);
    }

    private ConfigException refuse(String yaml) {
        return assertThrows(ConfigException.class, () -> load(yaml));
    }

    @Test
    void offByDefaultWithTheDefaultDenyList() throws Exception {
        ForwardProxySettings f = load("server: { listen: 127.0.0.1:8080 }\n").forwardProxy();
        assertEquals(ForwardProxySettings.defaults(), f);
        assertFalse(f.enabled());
        assertEquals(List.of(443), f.connectPorts());
        assertEquals(List.of(), f.allow());
        assertEquals(ForwardProxySettings.DEFAULT_DENY, f.denyNetworks());
        assertTrue(f.denyNetworks().containsAll(List.of("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
                "::1/128", "fc00::/7", "100.64.0.0/10", "64:ff9b::/96")));
    }

    @Test
    void everyKey() throws Exception {
        ForwardProxySettings f = load("""
                forward_proxy:
                  enabled: true
                  connect_ports: [443, 8443]
                  allow: ["*.example.com", api.example.org]
                  deny_networks: [10.0.0.0/8, "fd00::/8"]
                """).forwardProxy();
        assertEquals(new ForwardProxySettings(true, List.of(443, 8443), List.of("*.example.com", "api.example.org"),
                List.of("10.0.0.0/8", "fd00::/8")), f);
        assertEquals(List.of(), load("forward_proxy: { enabled: true, deny_networks: [] }").forwardProxy().denyNetworks());
    }

    @Test
    void badValuesAreRefusedWithTheirKey() {
        ConfigException e = refuse("forward_proxy: { connect_ports: [443, 70000] }");
        assertEquals("forward_proxy.connect_ports[1]", e.key());
        assertEquals("port 70000 is outside 1..65535", e.reason());
        e = refuse("forward_proxy: { connect_ports: [https] }");
        assertEquals("forward_proxy.connect_ports[0]", e.key());
        e = refuse("forward_proxy: { connect_ports: 443 }");
        assertEquals("forward_proxy.connect_ports", e.key());
        e = refuse("forward_proxy: { allow: [\"a.*.com\"] }");
        assertEquals("forward_proxy.allow[0]", e.key());
        assertTrue(e.reason().contains("'*'"), e.reason());
        e = refuse("forward_proxy: { deny_networks: [10.0.0.0/33] }");
        assertEquals("forward_proxy.deny_networks[0]", e.key());
        assertTrue(e.reason().contains("prefix length"), e.reason());
        e = refuse("forward_proxy: { enabled: yes please }");
        assertEquals("forward_proxy.enabled", e.key());
        e = refuse("forward_proxy: { alow: [] }");
        assertEquals("forward_proxy.alow", e.key());
        assertTrue(e.reason().contains("known keys here: enabled, connect_ports, allow, deny_networks"), e.reason());
    }
}
