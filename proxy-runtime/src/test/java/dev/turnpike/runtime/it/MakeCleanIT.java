package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code make clean} removes the plugin jars {@code make build} copied and nothing else of
 * {@code plugins/}. Its {@code clean-plugins} half runs here with the tree's Makefile in a
 * throwaway tree (a bundled plugin module {@code alpha}, its copied jar, a half-done copy, and a
 * jar of the user's own), never on the real one: the other half is {@code mvn clean}.
 */
class MakeCleanIT {

    @TempDir
    Path tree;

    @Test
    @Timeout(60)
    void cleanPluginsRemovesOnlyTheCopiedBundledJars() throws Exception {
        Path plugins = Files.createDirectories(tree.resolve("plugins"));
        Files.createDirectories(plugins.resolve("alpha"));
        Files.writeString(plugins.resolve("alpha/pom.xml"), "<project/>");
        Files.writeString(plugins.resolve("alpha.jar"), "copied by make build");
        Files.writeString(plugins.resolve(".alpha.jar.tmp"), "a copy make build left half-done");
        Files.writeString(plugins.resolve("my-own.jar"), "the user's");
        Path makefile = Path.of(System.getProperty("turnpike.pluginsBuildDir")).toAbsolutePath().normalize().getParent()
                .resolve("Makefile");

        Process make = new ProcessBuilder("make", "--no-print-directory", "-f", makefile.toString(), "clean-plugins")
                .directory(tree.toFile()).redirectErrorStream(true).start();
        String output = new String(make.getInputStream().readAllBytes());
        assertTrue(make.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, make.exitValue(), output);

        assertFalse(Files.exists(plugins.resolve("alpha.jar")), output);
        assertFalse(Files.exists(plugins.resolve(".alpha.jar.tmp")), output);
        assertTrue(Files.exists(plugins.resolve("my-own.jar")), "the user's own jar stays; " + output);
        assertTrue(Files.exists(plugins.resolve("alpha/pom.xml")), output);
    }
}
