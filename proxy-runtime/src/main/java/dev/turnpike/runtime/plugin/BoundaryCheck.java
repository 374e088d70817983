package dev.turnpike.runtime.plugin;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipFile;

/**
 * Refuses, before PF4J loads it, a staged jar whose classes use a host class that the
 * {@link PluginBoundary} hides (a Netty type, a runtime internal, ...).
 *
 * <p>Why read the class files rather than let the class loader say no: the JVM resolves a class
 * reference when the code first runs it, so a plugin that touches {@code io.netty.buffer.ByteBuf}
 * in one branch of its response filter would load, start and serve, and fail with a
 * {@code NoClassDefFoundError} on the request that takes that branch. Eagerly loading every class
 * of the jar would not catch it either: loading and verifying a class resolves its superclass,
 * interfaces and some types the verifier compares, not the classes its method bodies call. The
 * constant pool of each class file names every class its code can make the JVM load, so reading
 * them (no class is loaded, no plugin code runs) turns that request-time failure into a refusal
 * at load, where start-up and reload report refused plugins.
 *
 * <p>What counts: a referenced class that is not in the jar itself (a plugin may bundle its own
 * dependencies, even in a package the host hides, and gets its own copy), not visible through
 * the boundary, and that the host does have. A class found nowhere is not refused: it is a
 * dependency the plugin left out, often an optional one behind a guard, and fails (or not) as it
 * always did. Stateless apart from its boundary; any thread.
 */
final class BoundaryCheck {

    /** How many further hidden classes a refusal names after the first. */
    private static final int MORE_NAMED = 5;

    private final PluginBoundary boundary;

    BoundaryCheck(PluginBoundary boundary) {
        this.boundary = boundary;
    }

    /** @throws PluginLoadException naming the first hidden class the jar uses and which of its classes uses it */
    void check(StagedJar jar) throws PluginLoadException {
        Map<String, String> hidden = hiddenReferences(jar);
        if (hidden.isEmpty()) {
            return;
        }
        List<String> names = new ArrayList<>(hidden.keySet());
        String first = names.get(0);
        StringBuilder reason = new StringBuilder(PluginBoundary.refusal(jar.id(), first, hidden.get(first)));
        if (names.size() > 1) {
            List<String> more = names.subList(1, Math.min(names.size(), 1 + MORE_NAMED));
            reason.append("; the jar also uses ").append(String.join(", ", more));
            if (names.size() > 1 + MORE_NAMED) {
                reason.append(" and ").append(names.size() - 1 - MORE_NAMED).append(" more");
            }
        }
        throw new PluginLoadException(jar.sourceFile(), reason.toString());
    }

    /** Hidden class → the first (by name) of the jar's classes that uses it, sorted by hidden class. */
    private Map<String, String> hiddenReferences(StagedJar jar) throws PluginLoadException {
        Set<String> own = new HashSet<>();
        Map<String, String> firstUser = new TreeMap<>();
        // Opened as the plugin's class loader will see it: a multi-release jar by the running version.
        try (JarFile file = new JarFile(jar.stagedPath().toFile(), false, ZipFile.OPEN_READ, Runtime.version())) {
            List<JarEntry> classes = file.versionedStream().filter(BoundaryCheck::isClassFile).toList();
            for (JarEntry entry : classes) {
                own.add(className(entry));
            }
            for (JarEntry entry : classes) {
                String user = className(entry);
                for (String used : references(jar, file, entry)) {
                    if (!own.contains(used)) {
                        firstUser.merge(used, user, (a, b) -> a.compareTo(b) <= 0 ? a : b);
                    }
                }
            }
        } catch (IOException e) {
            throw new PluginLoadException(jar.sourceFile(), "cannot read its classes: " + e, e);
        }
        firstUser.keySet().removeIf(name -> !boundary.hides(name));
        return firstUser;
    }

    private static Set<String> references(StagedJar jar, JarFile file, JarEntry entry) throws PluginLoadException, IOException {
        byte[] bytes;
        try (InputStream in = file.getInputStream(entry)) {
            bytes = in.readAllBytes();
        }
        try {
            return ClassFileReferences.of(bytes);
        } catch (IOException e) {
            // The JVM would refuse it too, at whatever moment the class is first needed.
            throw new PluginLoadException(jar.sourceFile(), "its class file " + entry.getName() + " cannot be read: "
                    + e.getMessage(), e);
        }
    }

    /**
     * The jar's class files, without module-info (a plugin is loaded in an unnamed module, so its
     * descriptor is never used) and without META-INF (not on a class path; a multi-release jar's
     * versioned classes come back under their base names).
     */
    private static boolean isClassFile(JarEntry entry) {
        String name = entry.getName();
        return !entry.isDirectory() && name.endsWith(".class") && !name.startsWith("META-INF/")
                && !name.equals("module-info.class") && !name.endsWith("/module-info.class");
    }

    private static String className(JarEntry entry) {
        String name = entry.getName();
        return name.substring(0, name.length() - ".class".length()).replace('/', '.');
    }
}
