package dev.turnpike.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Builds a PF4J plugin jar from classes on the test class path: a manifest with {@code Plugin-Id}
 * and {@code Plugin-Version}, {@code META-INF/extensions.idx} naming the extension, and the class
 * files. For tests of loading and hot swaps (v1 and v2 of one plugin, from one class reading its
 * version from {@code PluginContext.pluginVersion()}) without a Maven build per version.
 *
 * <p>The classes given must use nothing of the host beyond the plugin API (the runtime refuses a jar
 * that does), and nested or helper classes must be listed too: only what is given goes in.
 */
public final class PluginJar {

    private PluginJar() {
    }

    /**
     * Writes {@code dir/fileName}.
     *
     * @param extension the {@code ProxyPlugin} implementation (listed in extensions.idx)
     * @param others    further classes the plugin needs in its jar
     * @return the jar written
     */
    public static Path build(Path dir, String fileName, String id, String version, Class<?> extension, Class<?>... others) {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Plugin-Id", id);
        manifest.getMainAttributes().putValue("Plugin-Version", version);
        Path file = dir.resolve(fileName);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(file), manifest)) {
            out.putNextEntry(new JarEntry("META-INF/extensions.idx"));
            out.write((extension.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
            addClass(out, extension);
            for (Class<?> c : others) {
                addClass(out, c);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    /**
     * The one plugin jar Maven built in {@code targetDir}: {@code <artifact>-*.jar}, not the sources,
     * javadoc or tests jar (so no version is written into the test).
     *
     * @throws AssertionError when there is none or more than one (is the module packaged?)
     */
    public static Path builtIn(Path targetDir, String artifact) {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(targetDir, artifact + "-*.jar")) {
            for (Path p : jars) {
                String name = p.getFileName().toString();
                if (!name.endsWith("-sources.jar") && !name.endsWith("-javadoc.jar") && !name.endsWith("-tests.jar")) {
                    found.add(p);
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot list " + targetDir + " (is " + artifact + " packaged?)", e);
        }
        if (found.size() != 1) {
            throw new AssertionError("expected one " + artifact + " jar in " + targetDir + ", found " + found
                    + (found.isEmpty() ? " (package it first: mvn package, or verify)" : ""));
        }
        return found.get(0);
    }

    private static void addClass(JarOutputStream out, Class<?> c) throws IOException {
        String entry = c.getName().replace('.', '/') + ".class";
        out.putNextEntry(new JarEntry(entry));
        copyResource(c, entry, out);
        out.closeEntry();
    }

    private static void copyResource(Class<?> c, String name, OutputStream out) throws IOException {
        ClassLoader loader = c.getClassLoader() != null ? c.getClassLoader() : ClassLoader.getSystemClassLoader();
        try (InputStream in = loader.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("no class file " + name + " on the class path of " + c.getName());
            }
            in.transferTo(out);
        }
    }
}
