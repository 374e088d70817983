package dev.turnpike.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnpike.testkit.plugins.VersionStamp;
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
            .jar(PluginJar.build(jars, "stamp-1.jar", "stamp", "1.0", VersionStamp.class), "stamp.jar")
            .yaml("""
                    plugins:
                      chain:
                        - id: stamp
                        - id: testkit-upstream
                          config: { backend: ${backend.a} }
                    """)
            .build();

    @Test
    void swapUnderLoad(@TempDir Path dir) {
        proxy.client().get("/").assertHeader(VersionStamp.HEADER, "1.0");
        Path v2 = PluginJar.build(dir, "stamp-2.jar", "stamp", "2.0", VersionStamp.class);

        HotSwap.Result result = HotSwap.replace(proxy, "stamp", "stamp.jar", v2, "/", 4,
                r -> r.status() == 200 && r.header(VersionStamp.HEADER) != null);

        result.load().assertNoFailures();
        proxy.client().get("/").assertHeader(VersionStamp.HEADER, "2.0");
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
