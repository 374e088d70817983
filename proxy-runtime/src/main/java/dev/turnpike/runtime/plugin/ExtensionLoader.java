package dev.turnpike.runtime.plugin;

import dev.turnpike.api.ProxyPlugin;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.pf4j.PluginManager;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks one staged jar's {@code Plugin-Requires} against the API this proxy runs
 * ({@link ApiCompatibility}) and its classes against the {@link PluginBoundary}
 * ({@link BoundaryCheck}), loads it into
 * a fresh PF4J manager, starts it there, and finds its single {@link ProxyPlugin} extension. On any
 * failure the manager is unloaded and the staged copy deleted, so a refused jar leaves nothing
 * behind. Management thread only.
 */
final class ExtensionLoader {

    private static final Logger log = LoggerFactory.getLogger(ExtensionLoader.class);

    private final Path stagingDir;
    private final PluginBoundary boundary;
    private final BoundaryCheck boundaryCheck;
    private final ApiCompatibility compatibility = new ApiCompatibility();

    ExtensionLoader(Path stagingDir, PluginBoundary boundary) {
        this.stagingDir = stagingDir;
        this.boundary = boundary;
        this.boundaryCheck = new BoundaryCheck(boundary);
    }

    /** @throws PluginLoadException naming, against the dropped file, why it cannot be used */
    LoadedPlugin load(StagedJar jar) throws PluginLoadException {
        try {
            // Both before PF4J, so a refused jar never gets a class loader.
            if (compatibility.check(jar) == ApiCompatibility.Verdict.UNDECLARED) {
                log.warn("plugin {} declares no Plugin-Requires: loading it unchecked against proxy-api {}; "
                        + "a plugin built for another API may fail on a request (NoSuchMethodError) instead of at load. "
                        + "add Plugin-Requires (for example '{}') to its manifest",
                        jar.label(), compatibility.apiVersion(), compatibility.suggestedRange());
            }
            boundaryCheck.check(jar);
        } catch (PluginLoadException e) {
            discard(null, null, jar);
            throw e;
        }
        PluginManager manager = new StagedJarPluginManager(stagingDir, boundary, compatibility.apiVersion());
        String loadedId = null;
        try {
            loadedId = manager.loadPlugin(jar.stagedPath());
            if (!jar.id().equals(loadedId)) {
                throw new PluginLoadException(jar.sourceFile(),
                        "PF4J read Plugin-Id '" + loadedId + "', the manifest says '" + jar.id() + "'");
            }
            PluginWrapper wrapper = manager.getPlugin(loadedId);
            if (wrapper.getPlugin() == null) {
                // PF4J's factory logs why and returns null; starting would only add an NPE.
                throw new PluginLoadException(jar.sourceFile(), "its Plugin-Class '"
                        + wrapper.getDescriptor().getPluginClass() + "' cannot be created (PF4J logged why)");
            }
            PluginState state = manager.startPlugin(loadedId);
            if (state != PluginState.STARTED) {
                // PF4J reports a failed start (unresolved, a Plugin-Class that cannot load or
                // throws) through the state, not by throwing.
                Throwable why = wrapper.getFailedException();
                throw new PluginLoadException(jar.sourceFile(), "PF4J did not start it (state " + state
                        + (why != null ? ": " + why : "") + ")", why);
            }
            Class<?> extension = onlyExtension(jar, manager);
            return new LoadedPlugin(jar, manager, extension, constructorOf(jar, extension));
        } catch (PluginLoadException e) {
            discard(manager, loadedId, jar);
            throw e;
        } catch (RuntimeException | LinkageError e) {
            discard(manager, loadedId, jar);
            throw new PluginLoadException(jar.sourceFile(), "PF4J failed to load it: " + e, e);
        }
    }

    @SuppressWarnings("rawtypes")
    private static Class<?> onlyExtension(StagedJar jar, PluginManager manager) throws PluginLoadException {
        List<Class<? extends ProxyPlugin>> found = manager.getExtensionClasses(ProxyPlugin.class, jar.id());
        if (found.isEmpty()) {
            throw new PluginLoadException(jar.sourceFile(), "it has no @Extension implementing "
                    + ProxyPlugin.class.getName() + " (is META-INF/extensions.idx in the jar?)");
        }
        if (found.size() > 1) {
            String names = found.stream().map(Class::getName).sorted().collect(Collectors.joining(", "));
            throw new PluginLoadException(jar.sourceFile(),
                    "it has " + found.size() + " ProxyPlugin extensions (" + names + "); a plugin jar provides exactly one");
        }
        return found.get(0);
    }

    private static Constructor<?> constructorOf(StagedJar jar, Class<?> extension) throws PluginLoadException {
        int mods = extension.getModifiers();
        if (!Modifier.isPublic(mods) || Modifier.isAbstract(mods) || extension.isInterface()) {
            throw new PluginLoadException(jar.sourceFile(), "its extension " + extension.getName()
                    + " must be a public, concrete class");
        }
        try {
            return extension.getConstructor();
        } catch (NoSuchMethodException e) {
            throw new PluginLoadException(jar.sourceFile(), "its extension " + extension.getName()
                    + " has no public no-argument constructor", e);
        }
    }

    private static void discard(PluginManager manager, String pluginId, StagedJar jar) {
        if (pluginId != null) {
            try {
                manager.stopPlugin(pluginId);
                manager.unloadPlugin(pluginId);
            } catch (RuntimeException | LinkageError e) {
                log.debug("plugin {}: cleaning up after a refused load failed too", jar.label(), e);
            }
        }
        try {
            Files.deleteIfExists(jar.stagedPath());
        } catch (java.io.IOException e) {
            log.debug("cannot delete refused staged jar {}", jar.stagedPath(), e);
        }
    }
}
