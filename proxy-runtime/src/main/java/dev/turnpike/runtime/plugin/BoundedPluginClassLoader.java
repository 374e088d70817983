package dev.turnpike.runtime.plugin;

import org.pf4j.ClassLoadingStrategy;
import org.pf4j.PluginClassLoader;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginManager;

/**
 * PF4J's plugin class loader (the plugin's jar first, then its parent) over a
 * {@link BoundaryClassLoader}, which says why a class is not found when the boundary hides it.
 *
 * <p>{@link BoundaryCheck} refuses at load a jar whose classes name a hidden class, so this matters
 * only for what no class file names: a class looked up by a string ({@code Class.forName}), or
 * one named only in a generic signature. PF4J replaces the parent's exception with a bare
 * {@code ClassNotFoundException(name)}, hence the override: the plugin (and the log) then read
 * which plugin wanted what, and what plugins may see.
 */
final class BoundedPluginClassLoader extends PluginClassLoader {

    private final String pluginId;
    private final PluginBoundary boundary;

    BoundedPluginClassLoader(PluginManager manager, PluginDescriptor descriptor, PluginBoundary boundary) {
        super(manager, descriptor, new BoundaryClassLoader(descriptor.getPluginId(), boundary), ClassLoadingStrategy.PDA);
        this.pluginId = descriptor.getPluginId();
        this.boundary = boundary;
    }

    @Override
    public Class<?> loadClass(String className) throws ClassNotFoundException {
        try {
            return super.loadClass(className);
        } catch (ClassNotFoundException e) {
            if (boundary.hides(className)) {
                throw new ClassNotFoundException(PluginBoundary.refusal(pluginId, className, null), e);
            }
            throw e;
        }
    }
}
