package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.turnpike.runtime.l4.ProxyProtocolBackend;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload that changes a tcp listener's identity (its listen address when it has no name:, or its
 * name:) is restart-only: the listener still bound keeps its name and the chain in force, and
 * serves every new connection as before, until a restart.
 */
@Timeout(60)
class TcpListenerReloadTest {

    @Test
    void movingAnUnnamedTcpListenerKeepsTheRunningListenerServing(@TempDir Path dir) throws Exception {
        try (ReloadHarness h = new ReloadHarness(dir); ProxyProtocolBackend echo = ProxyProtocolBackend.plain()) {
            int bound = ReloadHarness.freePort();
            int moved = ReloadHarness.freePort();
            h.start(yaml(h, bound, echo.port()));
            assertEquals("one", echo(bound, "one"), "served before the reload");

            h.editConfig(yaml(h, moved, echo.port())); // only tcp[0].listen changes
            ReloadHarness.await("generation 2", Duration.ofSeconds(20), () -> h.proxy.reloader().generation() == 2);
            assertFalse(h.logs.matching("tcp (listeners)", "needs a restart", "the old value stays in force").isEmpty(),
                    "the reload said the listener change waits for a restart:\n" + h.logs.dump());

            assertEquals("two", echo(bound, "two"),
                    "the listener still bound (and said to keep its old value) serves after the reload; log:\n"
                            + h.logs.dump());
        }
    }

    private static String yaml(ReloadHarness h, int tcpPort, int echoPort) {
        return h.yaml(h.loadBalancerEntry())
                + "tcp:\n"
                + "  - listen: '127.0.0.1:" + tcpPort + "'\n"
                + "    chain:\n"
                + "      - id: load-balancer\n"
                + "        config: { backends: ['127.0.0.1:" + echoPort + "'] }\n";
    }

    private static String echo(int port, String text) throws Exception {
        try (Socket c = new Socket("127.0.0.1", port)) {
            c.setSoTimeout(10_000);
            c.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
            c.shutdownOutput();
            return new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
