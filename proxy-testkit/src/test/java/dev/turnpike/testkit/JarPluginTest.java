package dev.turnpike.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.file.Path;
import java.nio.file.Paths;
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

    static Path headerInjectionJar() {
        String dir = System.getProperty("turnpike.pluginsBuildDir");
        assertNotNull(dir, "system property turnpike.pluginsBuildDir is not set (run through Maven)");
        return PluginJar.builtIn(Paths.get(dir, "header-injection", "target"), "header-injection");
    }
}
