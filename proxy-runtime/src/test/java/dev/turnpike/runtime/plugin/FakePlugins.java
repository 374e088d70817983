package dev.turnpike.runtime.plugin;

import dev.turnpike.runtime.plugin.testplugins.Silent;
import java.nio.file.Path;

/**
 * {@link LoadedPlugin}s without a jar or a PF4J manager, for tests of decisions about plugin
 * versions (which to keep, which to build from) that never start, stop or close one.
 */
public final class FakePlugins {

    private FakePlugins() {
    }

    /** A version {@code id} {@code version} "loaded from" {@code dir/<id>.jar}. */
    public static LoadedPlugin of(String id, String version, Path dir) {
        String sha = String.format("%08x", (id + version).hashCode()).repeat(8);
        StagedJar jar = new StagedJar(id, version, null, sha, dir.resolve(id + ".jar"), dir.resolve("staged-" + id + "-" + version + ".jar"));
        try {
            return new LoadedPlugin(jar, null, Silent.class, Silent.class.getConstructor());
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e);
        }
    }
}
