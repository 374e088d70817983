package dev.turnpike.runtime.plugin;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;

/**
 * The parent of a plugin's class loader, in place of the application class loader: it loads what
 * the {@link PluginBoundary} lets a plugin see and nothing else. JDK classes come from its own
 * parent, the platform class loader; the shared host classes ({@code dev.turnpike.api.*},
 * {@code org.pf4j.*}, {@code org.slf4j.*}) from the runtime's class loader, so host and plugin
 * agree on one {@code ProxyPlugin}, one {@code Logger}; any other name is not found.
 *
 * <p>It defines no class, so it holds nothing of the plugin's: it goes with the plugin's loader.
 * One per plugin loader, named after the plugin, so that a heap dump tells them apart.
 */
final class BoundaryClassLoader extends ClassLoader {

    static {
        registerAsParallelCapable();
    }

    private final PluginBoundary boundary;

    BoundaryClassLoader(String pluginId, PluginBoundary boundary) {
        super("turnpike-plugin-api[" + pluginId + "]", ClassLoader.getPlatformClassLoader());
        this.boundary = boundary;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (boundary.sharesHostClass(name)) {
            // Straight to the host: a shared name is never the platform's, so asking it first would
            // only cost a failed lookup per class.
            return boundary.host().loadClass(name);
        }
        return super.loadClass(name, resolve); // the platform class loader, then findClass
    }

    /** Reached for whatever the platform does not have and the host does not share. */
    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        throw new ClassNotFoundException(name);
    }

    /** After the platform's own resources (ClassLoader asks the parent first), the shared ones. */
    @Override
    protected URL findResource(String name) {
        return boundary.sharesHostResource(name) ? boundary.host().getResource(name) : null;
    }

    @Override
    protected Enumeration<URL> findResources(String name) throws IOException {
        return boundary.sharesHostResource(name) ? boundary.host().getResources(name) : Collections.emptyEnumeration();
    }
}
