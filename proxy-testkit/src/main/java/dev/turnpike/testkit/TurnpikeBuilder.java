package dev.turnpike.testkit;

import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.runtime.plugin.ClassPathPlugin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What a {@link TurnpikeExtension} starts: the configuration snippet, the backends its placeholders
 * name, and the plugins from the class path or from jars. Not thread-safe; build once, typically in
 * a static initializer.
 */
public final class TurnpikeBuilder {

    private String yaml = "";
    private final Map<String, TestBackend> backends = new LinkedHashMap<>();
    private final List<ClassPathPlugin> plugins = new ArrayList<>();
    private final Map<Path, String> jars = new LinkedHashMap<>();
    private boolean perTest;
    private Duration requestTimeout = Duration.ofSeconds(10);

    TurnpikeBuilder() {
    }

    /** The configuration snippet (see {@link TurnpikeExtension} for what is added to it). */
    public TurnpikeBuilder yaml(String yaml) {
        this.yaml = yaml;
        return this;
    }

    /** Makes {@code ${backend.NAME}} stand for {@code backend}'s {@code 127.0.0.1:PORT}; closed with the proxy. */
    public TurnpikeBuilder backend(String name, TestBackend backend) {
        backends.put(name, backend);
        return this;
    }

    /** A class-path plugin: a new {@code type} (public no-argument constructor) per chain entry and generation. */
    public <P extends ProxyPlugin<?>> TurnpikeBuilder plugin(String id, Class<P> type) {
        return plugin(id, type, () -> newInstance(type));
    }

    /** A class-path plugin whose instances {@code factory} makes (called on the proxy's management thread). */
    public <P extends ProxyPlugin<?>> TurnpikeBuilder plugin(String id, Class<P> type, Supplier<? extends P> factory) {
        plugins.add(new ClassPathPlugin(id, "class-path", type, factory));
        return this;
    }

    /**
     * A class-path plugin served by this one instance, so the test can look at it: it is started
     * for each generation that (re)builds its chain entry and stopped when that generation retires.
     */
    public TurnpikeBuilder plugin(String id, ProxyPlugin<?> instance) {
        plugins.add(new ClassPathPlugin(id, "class-path", instance.getClass(), () -> instance));
        return this;
    }

    /** A built plugin jar, copied into the plugin directory under its own file name before the start. */
    public TurnpikeBuilder jar(Path jar) {
        return jar(jar, jar.getFileName().toString());
    }

    /** As {@link #jar(Path)}, under {@code fileName}. */
    public TurnpikeBuilder jar(Path jar, String fileName) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("no plugin jar at " + jar);
        }
        jars.put(jar, fileName);
        return this;
    }

    /** A new proxy for each test instead of one per test class. */
    public TurnpikeBuilder perTest() {
        this.perTest = true;
        return this;
    }

    /** The client's per-request timeout (default 10 s). */
    public TurnpikeBuilder requestTimeout(Duration timeout) {
        this.requestTimeout = timeout;
        return this;
    }

    public TurnpikeExtension build() {
        return new TurnpikeExtension(yaml, backends, plugins, jars, perTest, requestTimeout);
    }

    private static <P> P newInstance(Class<P> type) {
        try {
            return type.getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + type.getName()
                    + " (a class-path plugin given by class needs a public no-argument constructor): " + e, e);
        }
    }
}
