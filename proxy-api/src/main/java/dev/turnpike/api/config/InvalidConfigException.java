package dev.turnpike.api.config;

/**
 * A configuration value is wrong: which key (its full dotted path, e.g.
 * {@code plugins.chain[0].config.backends[1]}) and why. The runtime adds the file name and refuses
 * the configuration.
 */
public class InvalidConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String key;
    private final String reason;

    public InvalidConfigException(String key, String reason) {
        super(key + ": " + reason);
        this.key = key;
        this.reason = reason;
    }

    /** The full path of the offending key. */
    public String key() {
        return key;
    }

    /** Why the value is refused, for a human. */
    public String reason() {
        return reason;
    }

    /** The same error with {@code prefix} put before the key (for a section nested in a larger file). */
    public InvalidConfigException under(String prefix) {
        return new InvalidConfigException(prefix.isEmpty() ? key : prefix + "." + key, reason);
    }
}
