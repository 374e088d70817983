/**
 * The plugin host: loads PF4J plugin jars from the drop directory and builds the immutable
 * {@link dev.turnpike.runtime.chain.Chain} from {@code plugins.chain}.
 *
 * <h2>How a jar gets in</h2>
 * {@link dev.turnpike.runtime.plugin.PluginHost} never loads a jar where the user dropped it. Each
 * accepted jar is copied to a private staging path that is never reused
 * ({@code <id>-<version>-<sha256 prefix>.jar}), checked and hashed there, and loaded from there by
 * a PF4J manager of its own. So the drop directory may be edited, overwritten or emptied while the
 * proxy runs without breaking a loaded class loader, and two versions of one plugin can live side
 * by side (the old generation draining while the new one serves), which a single PF4J manager
 * refuses.
 *
 * <h2>What a plugin sees</h2>
 * A plugin's class loader takes its own jar first and, for the rest, sees the Java platform and of
 * the runtime only {@code dev.turnpike.api.*}, {@code org.pf4j.*} and {@code org.slf4j.*}
 * ({@link dev.turnpike.runtime.plugin.PluginBoundary}); Netty, the runtime's internals and its
 * other libraries are hidden, so no plugin can come to depend on them. A jar whose classes use a
 * hidden class is refused at load, not left to fail mid-request
 * ({@link dev.turnpike.runtime.plugin.BoundaryCheck}).
 *
 * <h2>Threads</h2>
 * PF4J is not thread-safe. Everything in this package that touches PF4J or the staging directory
 * runs on the runtime's single management thread, never on an event loop. What the event loops
 * see is the {@link dev.turnpike.runtime.chain.Chain} built here: immutable, with started
 * instances.
 */
package dev.turnpike.runtime.plugin;
