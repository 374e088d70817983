package dev.turnpike.runtime.config;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * REVIEW: client_auth with a ca and no mode loads as mode none: the CA is dropped without a word
 * and no client is ever asked for a certificate (fail-open).
 */
class ReviewClientAuthConfigTest {

    @TempDir
    Path dir;

    @Test
    void aCaWithoutAModeIsRefusedNotIgnored() throws Exception {
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, "server:\n  tls:\n    listen: 127.0.0.1:8443\n"
                + "    certificates:\n      - { cert: conf/tls/site.pem, key: conf/tls/site.key }\n"
                + "    client_auth: { ca: conf/tls/clients.pem }\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("server.tls.client_auth.mode"), e.getMessage());
    }
}
