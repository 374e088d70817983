package dev.turnpike.runtime.plugin;

import java.nio.file.Path;

/**
 * A plugin jar copied to its private staging path and checked there: what its manifest says and
 * what its bytes hash to. Immutable.
 *
 * @param id         the manifest's {@code Plugin-Id}
 * @param version    the manifest's {@code Plugin-Version}
 * @param requires   the manifest's {@code Plugin-Requires} (the proxy-api versions it works with, a
 *                   semver range), trimmed, or {@code null} when it has none
 * @param sha256     the SHA-256 of the staged bytes, lowercase hex
 * @param sourceFile the jar in the drop directory it was copied from
 * @param stagedPath the private copy PF4J loads; nothing else ever writes to this path
 */
record StagedJar(String id, String version, String requires, String sha256, Path sourceFile, Path stagedPath) {

    /** How logs name this jar. */
    String label() {
        return id + " " + version + " (" + sourceFile.getFileName() + ", sha256 " + sha256.substring(0, 16) + ")";
    }
}
