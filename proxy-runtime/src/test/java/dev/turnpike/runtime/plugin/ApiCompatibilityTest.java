package dev.turnpike.runtime.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** PF4J's reading of Plugin-Requires, against a fixed API version. */
class ApiCompatibilityTest {

    private final ApiCompatibility api = new ApiCompatibility("1.4.2");

    private static StagedJar requiring(String requires) {
        return new StagedJar("p", "3.0.0", requires, "0".repeat(64), Path.of("p.jar"), Path.of("staged.jar"));
    }

    @Test
    void aRangeAdmittingTheApiIsCompatible() throws Exception {
        assertEquals(ApiCompatibility.Verdict.COMPATIBLE, api.check(requiring(">=1.0.0 & <2.0.0")));
        assertEquals(ApiCompatibility.Verdict.COMPATIBLE, api.check(requiring("*")));
        assertEquals(ApiCompatibility.Verdict.COMPATIBLE, api.check(requiring("1.4.0")), "a bare version is a lower bound");
    }

    @Test
    void noRangeIsUndeclared() throws Exception {
        assertEquals(ApiCompatibility.Verdict.UNDECLARED, api.check(requiring(null)));
    }

    @Test
    void aRangeExcludingTheApiIsRefusedNamingBoth() {
        PluginLoadException e = assertThrows(PluginLoadException.class, () -> api.check(requiring(">=2.0.0 & <3.0.0")));
        assertEquals("plugin p 3.0.0 requires proxy-api >=2.0.0 & <3.0.0; this proxy has proxy-api 1.4.2", e.reason());
        assertThrows(PluginLoadException.class, () -> api.check(requiring("1.5.0")), "newer than the API");
        assertThrows(PluginLoadException.class, () -> api.check(requiring("<1.0.0")), "an older major");
    }

    @Test
    void somethingThatIsNotARangeIsRefused() {
        PluginLoadException e = assertThrows(PluginLoadException.class, () -> api.check(requiring("version two")));
        assertTrue(e.reason().contains("Plugin-Requires 'version two', which is not a semver range (for example >=1.4.2 & <2.0.0)"),
                e.reason());
    }
}
