package dev.turnpike.runtime.plugin;

import dev.turnpike.api.ProxyPlugin;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A plugin served from the host's own class path instead of a jar in the drop directory: how the
 * testkit runs a plugin under test in-process, with its test dependencies visible and without
 * packaging it first. Production never uses one; {@link dev.turnpike.runtime.Turnpike#prepare(
 * dev.turnpike.runtime.config.ProxyConfig, java.util.List)} is the only way in.
 *
 * <p>Chain entries name it by {@link #id()}, as they would a jar's {@code Plugin-Id}. It is loaded
 * for the proxy's whole life (never unloaded by a reload, so no class loader of its is watched for
 * leaks), and a jar of the drop directory with the same id takes its place while that jar is there.
 * It gets no {@link PluginBoundary}: it sees whatever its class loader sees. The admin listener's
 * {@code /plugins} lists the drop directory's jars only, so it does not appear there.
 *
 * @param id      the id chain entries name it by
 * @param version what {@code PluginContext.pluginVersion()} reports, and the logs
 * @param type    the extension class (for its class loader and the logs)
 * @param factory a new, unstarted instance per chain entry and generation; called on the management
 *                thread, never on an event loop. Handing out one shared instance is allowed but
 *                then that instance is started and stopped once per generation it serves.
 */
public record ClassPathPlugin(String id, String version, Class<?> type, Supplier<? extends ProxyPlugin<?>> factory) {

    public ClassPathPlugin {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(factory, "factory");
        if (id.isBlank()) {
            throw new IllegalArgumentException("a class-path plugin needs an id");
        }
    }
}
