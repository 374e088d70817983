package dev.turnpike.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ApiVersion;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The command line's informational options: they print on stdout, exit 0, and start nothing. */
class MainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void versionPrintsTheProxyAndApiVersionsAndExitsZero() {
        assertEquals(0, run("--version"));
        assertEquals("turnpike " + ProxyVersion.CURRENT + " (plugin API " + ApiVersion.CURRENT + ")\n", out.toString(StandardCharsets.UTF_8));
        assertTrue(ProxyVersion.CURRENT.matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), ProxyVersion.CURRENT);
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpListsEveryOptionWithItsShortForm() {
        assertEquals(0, run("--help"));
        String help = out.toString(StandardCharsets.UTF_8);
        for (String option : new String[] {"-c, --config FILE", "-t, --check", "-v, --version", "-h, --help"}) {
            assertTrue(help.contains("  " + option + " "), option + " in:\n" + help);
        }
    }

    @Test
    void anUnknownArgumentIsAUsageError() {
        assertEquals(2, run("--versoin"));
        assertEquals("turnpike: unknown argument '--versoin' (see --help)\n", err.toString(StandardCharsets.UTF_8));
    }
}
