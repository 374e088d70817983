package dev.turnpike.runtime.tls;

import java.nio.file.Path;

/** A certificate, key or CA file that cannot be used: the file, and why, in an operator's words. */
public final class TlsFileException extends Exception {

    private final Path file;
    private final String reason;

    public TlsFileException(Path file, String reason) {
        this(file, reason, null);
    }

    public TlsFileException(Path file, String reason, Throwable cause) {
        super(file + ": " + reason, cause);
        this.file = file;
        this.reason = reason;
    }

    public Path file() {
        return file;
    }

    public String reason() {
        return reason;
    }
}
