package dev.turnpike.runtime.plugin;

import java.nio.file.Path;
import org.pf4j.JarPluginLoader;
import org.pf4j.JarPluginManager;
import org.pf4j.PluginClassLoader;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginLoader;
import org.pf4j.RuntimeMode;

/**
 * The PF4J manager of one staged plugin jar: a {@link JarPluginManager} (the jar alone is the
 * plugin's class path) rooted at the staging directory, always in deployment mode, whose plugin
 * class loader sees of the host only what the {@link PluginBoundary} shares, and whose system
 * version is the plugin API's (so PF4J's own {@code Plugin-Requires} check agrees with
 * {@link ApiCompatibility}, which runs first and words the refusal).
 *
 * <p>One manager per loaded jar, because PF4J refuses a second plugin with the same id in one
 * manager and a reload needs the old and the new version loaded at once. The host only ever calls
 * {@code loadPlugin(path)}, never {@code loadPlugins()}, so the root is never scanned. Like every
 * PF4J manager it is not thread-safe: management thread only.
 */
final class StagedJarPluginManager extends JarPluginManager {

    private final PluginBoundary boundary;

    StagedJarPluginManager(Path stagingDir, PluginBoundary boundary, String apiVersion) {
        super(stagingDir);
        this.boundary = boundary;
        setSystemVersion(apiVersion);
    }

    /**
     * Pinned: a {@code -Dpf4j.mode=development} meant for something else in the JVM must not
     * change how the proxy finds and loads its plugins.
     */
    @Override
    public RuntimeMode getRuntimeMode() {
        return RuntimeMode.DEPLOYMENT;
    }

    /**
     * PF4J's jar loader (deployment mode only, see above), with a {@link BoundedPluginClassLoader}
     * in place of one whose parent is the application class loader. PF4J calls this from its
     * constructor, before {@link #boundary} is set; the loader reads the field only when it makes a
     * class loader, by which time it is.
     */
    @Override
    protected PluginLoader createPluginLoader() {
        return new JarPluginLoader(this) {
            @Override
            protected PluginClassLoader createPluginClassLoader(Path pluginPath, PluginDescriptor descriptor) {
                return new BoundedPluginClassLoader(pluginManager, descriptor, boundary);
            }
        };
    }
}
