package dev.turnpike.runtime.config;

import dev.turnpike.api.config.InvalidConfigException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The configuration file cannot be used: which file, which key, and why. The message reads
 * {@code <file>: <key>: <reason>}, e.g. {@code conf/proxy.yaml: server.listen: 'localhost' is not
 * host:port}, or {@code <file>: <reason>} when the error concerns the file as a whole (it cannot be
 * read, or is not valid YAML: then the reason starts with {@code line N, column M}).
 *
 * <p>Checked, so that every caller decides what a refused file means: at start, exit; on reload,
 * keep the configuration in force.
 */
public final class ConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String key;
    private final String reason;

    /**
     * @param file   the file as the operator named it (shown as given, not made absolute)
     * @param key    the full dotted path of the offending key, or {@code ""} for the file as a whole
     * @param reason why, for a human
     */
    public ConfigException(Path file, String key, String reason) {
        this(file, key, reason, null);
    }

    /** As {@link #ConfigException(Path, String, String)}, keeping what caused it. */
    public ConfigException(Path file, String key, String reason, Throwable cause) {
        super(message(file, key, reason), cause);
        this.file = Objects.requireNonNull(file, "file");
        this.key = Objects.requireNonNull(key, "key");
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /**
     * An error found in a section of {@code file}, by the runtime or by a plugin checking its own
     * {@code config:} (whose keys already carry their full path, e.g.
     * {@code plugins.chain[0].config.backends}), reported the same way as the runtime's own.
     */
    public static ConfigException of(Path file, InvalidConfigException e) {
        return new ConfigException(file, e.key(), e.reason(), e);
    }

    /** The file as the operator named it. */
    public Path file() {
        return file;
    }

    /** The full dotted path of the offending key; {@code ""} when the file as a whole is at fault. */
    public String key() {
        return key;
    }

    /** Why the configuration is refused, for a human. */
    public String reason() {
        return reason;
    }

    private static String message(Path file, String key, String reason) {
        return key == null || key.isEmpty() ? file + ": " + reason : file + ": " + key + ": " + reason;
    }
}
