package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.turnpike.testing.TestBackend;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5, "done when" 6: SIGHUP reloads the configuration of the packaged proxy. To show that it
 * is the signal and not the file watcher that reloads, the configuration file is turned into a
 * symbolic link to a file in another directory, and that file is edited: the watcher (on the
 * directory of the link) sees nothing of it, so only SIGHUP can bring the change in.
 */
class ReloadIT {

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private String backendOf(ProxyProcess proxy) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(proxy.uri("/name")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    @Test
    @Timeout(60)
    void sighupReloadsTheConfiguration() throws Exception {
        try (TestBackend a = new TestBackend("a"); TestBackend b = new TestBackend("b")) {
            a.start();
            b.start();
            try (ProxyProcess proxy = ProxyProcess.builder(dir).backends(a).start()) {
                assertEquals("a", backendOf(proxy));

                Path real = Files.createDirectories(dir.resolve("elsewhere")).resolve("proxy.yaml");
                String text = Files.readString(proxy.config());
                Files.writeString(real, text);
                Path link = dir.resolve("proxy.yaml.link.tmp");
                Files.createSymbolicLink(link, real);
                Files.move(link, proxy.config(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Thread.sleep(800); // the watcher sees the link appear, reads the same text: nothing to do

                Files.writeString(real, text.replace("127.0.0.1:" + a.port(), "127.0.0.1:" + b.port()));
                Thread.sleep(1_200);
                assertEquals("a", backendOf(proxy), "the edit behind the link was applied without SIGHUP: the test cannot "
                        + "tell SIGHUP from the watcher; log:\n" + ProxyProcess.tail(proxy.log(), 4_000));
                assertTrue(!proxy.log().contains("SIGHUP"), proxy.log());

                Process kill = new ProcessBuilder("kill", "-HUP", String.valueOf(proxy.process().pid()))
                        .redirectErrorStream(true).start();
                assertEquals(0, kill.waitFor(), new String(kill.getInputStream().readAllBytes()));
                long t0 = System.nanoTime();
                String now = "a";
                while (!now.equals("b") && System.nanoTime() - t0 < 5_000_000_000L) {
                    Thread.sleep(20);
                    now = backendOf(proxy);
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                if (!now.equals("b")) {
                    fail("SIGHUP did not bring backend b within 5 s; log:\n" + ProxyProcess.tail(proxy.log(), 6_000));
                }
                System.out.println("[reload] SIGHUP -> new backend list served after " + ms + " ms");
                proxy.assertAlive();
                String sighupLine = proxy.log().lines().filter(l -> l.contains("SIGHUP")).findFirst().orElse(null);
                System.out.println("[reload] " + sighupLine);
                assertTrue(sighupLine != null && sighupLine.contains("generation"),
                        "no reload line naming SIGHUP; log:\n" + ProxyProcess.tail(proxy.log(), 6_000));
                assertTrue(b.requestsServed() > 0);
            }
        }
    }
}
