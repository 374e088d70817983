package dev.turnpike.runtime.plugin;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.zip.ZipException;

/**
 * Copies a plugin jar from the drop directory to a private staging path, hashing it on the way,
 * and checks the copy: a readable jar whose manifest names {@code Plugin-Id} and
 * {@code Plugin-Version}, and which does not carry the API's classes. Its {@code Plugin-Requires}
 * is read here and judged by {@link ApiCompatibility}.
 *
 * <p>The checks run on the copy, not on the original, so what was checked, what was hashed and
 * what PF4J loads are the same bytes even if someone rewrites the dropped file meanwhile. The
 * copy lands under a temporary dot name and is renamed once accepted, so a half-written copy never
 * has a plugin's name.
 *
 * <p>Staged names are {@code <id>-<version>-<first 16 hex of sha256>.jar} and never reused by one
 * stager, even after the file is deleted: the JVM's {@code jar:} URL cache may still hold a
 * handle on an earlier file of that name. Management thread only.
 */
final class JarStager {

    /** Ids and versions become part of a file name: nothing that could leave the directory. */
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]*");

    /** Present in a jar that shaded the API, which would make its extension invisible to the host. */
    private static final String API_MARKER = "dev/turnpike/api/ProxyPlugin.class";

    private final Path stagingDir;
    private final Set<String> usedNames = new HashSet<>();

    JarStager(Path stagingDir) {
        this.stagingDir = stagingDir;
    }

    /**
     * Stages {@code source}. On refusal nothing is left in the staging directory.
     *
     * @throws PluginLoadException naming why the jar cannot be a plugin
     */
    StagedJar stage(Path source) throws PluginLoadException {
        Path incoming;
        try {
            incoming = Files.createTempFile(stagingDir, ".incoming-", ".tmp");
        } catch (IOException e) {
            throw new PluginLoadException(source, "cannot write to the staging directory " + stagingDir + ": " + e, e);
        }
        try {
            String sha256 = copyHashing(source, incoming);
            String[] descriptor = readDescriptor(source, incoming);
            Path target = freshPath(descriptor[0], descriptor[1], sha256);
            Files.move(incoming, target, StandardCopyOption.ATOMIC_MOVE);
            return new StagedJar(descriptor[0], descriptor[1], descriptor[2], sha256, source, target);
        } catch (NoSuchFileException e) {
            throw new PluginLoadException(source, "the file disappeared while it was being read", e);
        } catch (IOException e) {
            throw new PluginLoadException(source, "cannot copy it to the staging directory: " + e, e);
        } finally {
            deleteQuietly(incoming);
        }
    }

    private static String copyHashing(Path source, Path target) throws IOException {
        MessageDigest digest = sha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(source), digest);
             OutputStream out = Files.newOutputStream(target)) {
            in.transferTo(out);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The manifest's id, version and requires (or null), after every check that needs no class loading. */
    private static String[] readDescriptor(Path source, Path copy) throws PluginLoadException {
        Manifest manifest;
        boolean bundlesApi;
        try (JarFile jar = new JarFile(copy.toFile())) {
            manifest = jar.getManifest();
            bundlesApi = jar.getEntry(API_MARKER) != null;
        } catch (ZipException e) {
            throw new PluginLoadException(source, "not a jar (zip) file: " + e.getMessage(), e);
        } catch (IOException | SecurityException e) {
            throw new PluginLoadException(source, "cannot read it as a jar: " + e, e);
        }
        if (manifest == null) {
            throw new PluginLoadException(source, "it has no META-INF/MANIFEST.MF");
        }
        Attributes main = manifest.getMainAttributes();
        String id = attribute(source, main, "Plugin-Id");
        String version = attribute(source, main, "Plugin-Version");
        if (bundlesApi) {
            throw new PluginLoadException(source, "it bundles the Turnpike API classes (dev.turnpike.api); "
                    + "depend on proxy-api in provided scope, or PF4J finds no extension in it");
        }
        String requires = main.getValue("Plugin-Requires");
        return new String[] {id, version, requires == null || requires.isBlank() ? null : requires.trim()};
    }

    private static String attribute(Path source, Attributes attributes, String name) throws PluginLoadException {
        String value = attributes.getValue(name);
        if (value == null || value.isBlank()) {
            throw new PluginLoadException(source, "its manifest has no " + name);
        }
        value = value.trim();
        if (!SAFE.matcher(value).matches()) {
            throw new PluginLoadException(source, "its " + name + " '" + value
                    + "' has characters other than letters, digits and . _ + -");
        }
        return value;
    }

    private Path freshPath(String id, String version, String sha256) {
        String base = id + "-" + version + "-" + sha256.substring(0, 16);
        String name = base + ".jar";
        for (int n = 2; usedNames.contains(name) || Files.exists(stagingDir.resolve(name)); n++) {
            name = base + "-" + n + ".jar";
        }
        usedNames.add(name);
        return stagingDir.resolve(name);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // A leftover dot file in the private staging dir is harmless and goes with the dir.
        }
    }
}
