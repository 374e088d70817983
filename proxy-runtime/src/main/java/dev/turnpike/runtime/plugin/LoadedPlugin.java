package dev.turnpike.runtime.plugin;

import dev.turnpike.api.ProxyPlugin;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pf4j.PluginManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One version of one plugin, loaded from its staged jar by a PF4J manager of its own and started
 * (in PF4J's sense), with its {@link ProxyPlugin} extension class resolved.
 *
 * <p>It makes instances ({@link #newInstance()}); it does not start them (the
 * {@link ChainFactory} does) and does not track them. {@link #close()} stops and unloads the
 * plugin and deletes its staged copy: call it only after every instance it made has been stopped
 * and no request can touch them any more, since classes not yet loaded by then can no longer be.
 *
 * <p>The identity fields are immutable. {@link #newInstance()}, {@link #manager()} and
 * {@link #close()} belong to the management thread.
 */
public final class LoadedPlugin implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LoadedPlugin.class);

    private final StagedJar jar;
    private final PluginManager manager;
    private final Class<?> extensionClass;
    private final Constructor<?> constructor;
    private boolean closed;

    LoadedPlugin(StagedJar jar, PluginManager manager, Class<?> extensionClass, Constructor<?> constructor) {
        this.jar = jar;
        this.manager = manager;
        this.extensionClass = extensionClass;
        this.constructor = constructor;
    }

    /** The {@code Plugin-Id}, as chain entries name it. */
    public String id() {
        return jar.id();
    }

    /** The {@code Plugin-Version}. */
    public String version() {
        return jar.version();
    }

    /** SHA-256 of the jar's bytes, lowercase hex (64 characters). */
    public String sha256() {
        return jar.sha256();
    }

    /** The jar in the drop directory this was copied from (it may have changed or gone since). */
    public Path sourceFile() {
        return jar.sourceFile();
    }

    /** The private copy the classes are loaded from, outside the drop directory. */
    public Path stagedPath() {
        return jar.stagedPath();
    }

    /** The PF4J manager that holds this plugin, and only it. Management thread only. */
    public PluginManager manager() {
        return manager;
    }

    /** The plugin's class loader (for instance to watch, weakly, that it is collected after close). */
    public ClassLoader classLoader() {
        return extensionClass.getClassLoader();
    }

    /** The plugin's {@link ProxyPlugin} implementation. */
    public Class<?> extensionClass() {
        return extensionClass;
    }

    /**
     * A new, unstarted instance of the extension (its public no-argument constructor; PF4J's
     * extension factory is not used, so no instance is cached or shared).
     *
     * @throws IllegalStateException when this plugin is closed or the constructor throws
     */
    public ProxyPlugin<?> newInstance() {
        if (closed) {
            throw new IllegalStateException("plugin " + id() + " " + version() + " is closed");
        }
        try {
            return (ProxyPlugin<?>) constructor.newInstance();
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw new IllegalStateException(extensionClass.getName() + "'s constructor threw " + cause, cause);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("cannot create " + extensionClass.getName() + ": " + e, e);
        }
    }

    /** Whether {@link #close()} has run. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Stops and unloads the plugin in its manager (which closes its class loader) and deletes the
     * staged copy. Idempotent; never throws (failures are logged).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // One by one, never stopPlugins(): PF4J 3.15 modifies the list that one iterates.
        try {
            manager.stopPlugin(id());
        } catch (RuntimeException | LinkageError e) {
            log.warn("plugin {}: PF4J failed to stop it", jar.label(), e);
        }
        try {
            manager.unloadPlugin(id());
        } catch (RuntimeException | LinkageError e) {
            log.warn("plugin {}: PF4J failed to unload it", jar.label(), e);
        }
        try {
            Files.deleteIfExists(stagedPath());
        } catch (IOException e) {
            log.warn("plugin {}: cannot delete its staged copy {}", jar.label(), stagedPath(), e);
        }
        log.debug("closed plugin {}", jar.label());
    }

    @Override
    public String toString() {
        return jar.label();
    }
}
