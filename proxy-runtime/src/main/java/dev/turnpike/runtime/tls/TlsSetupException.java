package dev.turnpike.runtime.tls;

import java.nio.file.Path;
import javax.net.ssl.SSLException;

/**
 * TLS to a backend could not even be tried: a {@code ca} or client certificate file the peer names
 * cannot be used. An {@link SSLException}, so that the attempt fails as kind {@code TLS}.
 */
public final class TlsSetupException extends SSLException {

    public TlsSetupException(Path file, String reason) {
        super(file == null ? reason : file + ": " + reason);
    }
}
