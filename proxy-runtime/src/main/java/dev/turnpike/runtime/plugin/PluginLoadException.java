package dev.turnpike.runtime.plugin;

import java.nio.file.Path;

/**
 * A plugin jar was refused: which file and why, in words fit for the log. The host logs it and goes
 * on with the other jars; nothing about one broken jar stops the proxy.
 */
public final class PluginLoadException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String reason;

    public PluginLoadException(Path file, String reason) {
        this(file, reason, null);
    }

    public PluginLoadException(Path file, String reason, Throwable cause) {
        super(file + ": " + reason, cause);
        this.file = file;
        this.reason = reason;
    }

    /** The jar as found in the drop directory. */
    public Path file() {
        return file;
    }

    /** Why it was refused, without the file name. */
    public String reason() {
        return reason;
    }
}
