package dev.turnpike.runtime.http;

/** A plugin failed a request: which plugin, in which phase, and what it threw. */
public final class PluginFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String pluginId;
    private final String phase;

    PluginFailure(String pluginId, String phase, Throwable cause) {
        super("plugin " + pluginId + " failed in " + phase + ": " + cause, cause, false, false);
        this.pluginId = pluginId;
        this.phase = phase;
    }

    public String pluginId() {
        return pluginId;
    }

    public String phase() {
        return phase;
    }
}
