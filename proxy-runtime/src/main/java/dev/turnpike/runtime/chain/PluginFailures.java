package dev.turnpike.runtime.chain;

import dev.turnpike.api.ProxyError;
import java.util.concurrent.CompletionException;

/**
 * A plugin's failure in a phase as the request or connection records it: one {@link ProxyError}
 * of kind {@code PLUGIN} naming the plugin and the phase, whichever kind of chain it failed in.
 */
public final class PluginFailures {

    private PluginFailures() {
    }

    /** The plugin threw, or failed its stage, with {@code cause}. */
    public static ProxyError thrown(ChainLink link, String phase, Throwable cause) {
        Throwable c = cause instanceof CompletionException && cause.getCause() != null ? cause.getCause() : cause;
        return ProxyError.plugin(link.pluginId(), phase, "plugin " + link.pluginId() + " failed in " + phase + ": " + c, c);
    }

    /** The plugin broke its phase's contract: {@code what} it did ("returned null instead of an Outcome"). */
    public static ProxyError broke(ChainLink link, String phase, String what) {
        return ProxyError.plugin(link.pluginId(), phase, "plugin " + link.pluginId() + " " + what, null);
    }

    /** The JVM's own failures (out of memory, stack overflow) are not a plugin's to answer for: they go on. */
    public static void rethrowIfFatal(Throwable t) {
        if (t instanceof VirtualMachineError) {
            throw (VirtualMachineError) t;
        }
    }
}
