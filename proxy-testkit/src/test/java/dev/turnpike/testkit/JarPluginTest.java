package dev.turnpike.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The extension with a built plugin jar (header-injection, from the reactor), loaded as production loads it. */
class JarPluginTest {

    static final TestBackend backend = TestBackend.start();

    @RegisterExtension
    static final TurnpikeExtension proxy = TurnpikeExtension.builder()
            .backend("a", backend)
            .jar(headerInjectionJar())
            .yaml("""
                    plugins:
                      chain:
                        - id: header-injection
                          config:
                            request: { set: { X-Proxy: turnpike } }
                            response: { set: { X-Edited: "yes" } }
                        - id: testkit-upstream
                          config: { backend: ${backend.a} }
                    """)
            .perTest()
            .build();

    @Test
    void theJarsPluginEditsBothWays() {
        proxy.client().get("/").assertStatus(200).assertHeader("X-Edited", "yes");
        assertEquals("turnpike", backend.lastRequest().header("X-Proxy"));
    }

    @Test
    void itRunsInAClassLoaderOfItsOwn() {
        ClassLoader loader = proxy.pluginClassLoaders("header-injection").get(0).get();
        assertNotNull(loader);
        assertNotEquals(getClass().getClassLoader(), loader);
    }

    /** The one header-injection-*.jar Maven built in plugins/header-injection/target. */
    static Path headerInjectionJar() {
        String dir = System.getProperty("turnpike.pluginsBuildDir");
        assertNotNull(dir, "system property turnpike.pluginsBuildDir is not set (run through Maven)");
        Path target = Paths.get(dir, "header-injection", "target");
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> found = Files.newDirectoryStream(target, "header-injection-*.jar")) {
            for (Path p : found) {
                if (!p.getFileName().toString().endsWith("-sources.jar")) {
                    jars.add(p);
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot list " + target + " (is header-injection packaged?)", e);
        }
        assertEquals(1, jars.size(), "one header-injection jar in " + target + ": " + jars);
        return jars.get(0);
    }
}
