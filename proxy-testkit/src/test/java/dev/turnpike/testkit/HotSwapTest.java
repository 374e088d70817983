package dev.turnpike.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnpike.testkit.plugins.Greeter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** v1 → v2 of a jar under load: no request fails and v1's class loader is collected. */
class HotSwapTest {

    static final TestBackend backend = TestBackend.start();
    static final Path jars = tempDir();

    @RegisterExtension
    static final TurnpikeExtension proxy = TurnpikeExtension.builder()
            .backend("a", backend)
            .jar(PluginJar.build(jars, "greeter-1.jar", "greeter", "1.0", Greeter.class), "greeter.jar")
            .yaml("""
                    plugins:
                      chain:
                        - id: greeter
                        - id: testkit-upstream
                          config: { backend: ${backend.a} }
                    """)
            .build();

    @Test
    void swapUnderLoad(@TempDir Path dir) {
        proxy.client().get("/").assertHeader(Greeter.VERSION_HEADER, "1.0");
        Path v2 = PluginJar.build(dir, "greeter-2.jar", "greeter", "2.0", Greeter.class);

        HotSwap.Result result = HotSwap.replace(proxy, "greeter", "greeter.jar", v2, "/", 4,
                r -> r.status() == 200 && r.header(Greeter.VERSION_HEADER) != null);

        result.load().assertNoFailures();
        proxy.client().get("/").assertHeader(Greeter.VERSION_HEADER, "2.0");
        result.assertOldLoaderCollected(Duration.ofSeconds(30));
        assertEquals(0, result.load().failed());
    }

    private static Path tempDir() {
        try {
            Path d = Files.createTempDirectory("testkit-jars-");
            d.toFile().deleteOnExit();
            return d;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
