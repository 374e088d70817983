package dev.turnpike.runtime.plugin;

import dev.turnpike.api.ProxyPlugin;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
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
 * <p>A {@linkplain #fromClassPath(List) class-path plugin} has no jar and no manager: its
 * {@link #sourceFile()} is the synthetic {@code class-path/<class name>}, {@link #stagedPath()} and
 * {@link #manager()} are {@code null}, and {@link #close()} only marks it closed.
 *
 * <p>The identity fields are immutable. {@link #newInstance()}, {@link #manager()} and
 * {@link #close()} belong to the management thread.
 */
public final class LoadedPlugin implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LoadedPlugin.class);

    private final StagedJar jar;
    private final PluginManager manager;
    private final Class<?> extensionClass;
    private final Supplier<? extends ProxyPlugin<?>> maker;
    private boolean closed;

    LoadedPlugin(StagedJar jar, PluginManager manager, Class<?> extensionClass, Constructor<?> constructor) {
        this(jar, manager, extensionClass, () -> construct(extensionClass, constructor));
    }

    private LoadedPlugin(StagedJar jar, PluginManager manager, Class<?> extensionClass,
            Supplier<? extends ProxyPlugin<?>> maker) {
        this.jar = jar;
        this.manager = manager;
        this.extensionClass = extensionClass;
        this.maker = maker;
    }

    /**
     * Plugins served from the host's class path (see {@link ClassPathPlugin}), never from a jar.
     *
     * @return id → plugin, in the given order, unmodifiable
     * @throws IllegalArgumentException when two share an id
     */
    public static Map<String, LoadedPlugin> fromClassPath(List<ClassPathPlugin> plugins) {
        Map<String, LoadedPlugin> byId = new LinkedHashMap<>();
        for (ClassPathPlugin p : plugins) {
            if (byId.put(p.id(), fromClassPath(p)) != null) {
                throw new IllegalArgumentException("two class-path plugins have the id '" + p.id() + "'");
            }
        }
        return Collections.unmodifiableMap(byId);
    }

    private static LoadedPlugin fromClassPath(ClassPathPlugin plugin) {
        String name = plugin.type().getName();
        // No Plugin-Requires: a class on the proxy's own class path was compiled against this API.
        StagedJar identity = new StagedJar(plugin.id(), plugin.version(), null,
                sha256Of("class-path:" + plugin.id() + ":" + plugin.version() + ":" + name),
                Path.of("class-path", name), null);
        return new LoadedPlugin(identity, null, plugin.type(), plugin.factory());
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

    /** The private copy the classes are loaded from, outside the drop directory ({@code null} on the class path). */
    public Path stagedPath() {
        return jar.stagedPath();
    }

    /** The PF4J manager that holds this plugin, and only it ({@code null} on the class path). Management thread only. */
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
     * extension factory is not used, so no instance is cached or shared). A class-path plugin's
     * comes from its factory.
     *
     * @throws IllegalStateException when this plugin is closed or the constructor throws
     */
    public ProxyPlugin<?> newInstance() {
        if (closed) {
            throw new IllegalStateException("plugin " + id() + " " + version() + " is closed");
        }
        ProxyPlugin<?> made = maker.get();
        if (made == null) {
            throw new IllegalStateException("the factory of plugin " + id() + " returned null");
        }
        return made;
    }

    private static ProxyPlugin<?> construct(Class<?> extensionClass, Constructor<?> constructor) {
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
        if (manager == null) {
            return; // a class-path plugin: nothing was loaded for it
        }
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

    private static String sha256Of(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return jar.label();
    }
}
