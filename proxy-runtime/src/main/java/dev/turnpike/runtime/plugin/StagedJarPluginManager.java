package dev.turnpike.runtime.plugin;

import java.nio.file.Path;
import org.pf4j.JarPluginManager;
import org.pf4j.RuntimeMode;

/**
 * The PF4J manager of one staged plugin jar: a {@link JarPluginManager} (the jar alone is the
 * plugin's class path) rooted at the staging directory, always in deployment mode.
 *
 * <p>One manager per loaded jar, because PF4J refuses a second plugin with the same id in one
 * manager and a reload needs the old and the new version loaded at once. The host only ever calls
 * {@code loadPlugin(path)}, never {@code loadPlugins()}, so the root is never scanned. Like every
 * PF4J manager it is not thread-safe: management thread only.
 */
final class StagedJarPluginManager extends JarPluginManager {

    StagedJarPluginManager(Path stagingDir) {
        super(stagingDir);
    }

    /**
     * Pinned: a {@code -Dpf4j.mode=development} meant for something else in the JVM must not
     * change how the proxy finds and loads its plugins.
     */
    @Override
    public RuntimeMode getRuntimeMode() {
        return RuntimeMode.DEPLOYMENT;
    }
}
