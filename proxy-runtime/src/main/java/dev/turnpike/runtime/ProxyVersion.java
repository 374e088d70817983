package dev.turnpike.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The runtime's own version (the Maven project version it was built as), for {@code --version}. */
public final class ProxyVersion {

    private static final String RESOURCE = "turnpike-version.properties";

    /** For instance {@code 0.1.0-SNAPSHOT}; read once from a resource the build filters. Any thread. */
    public static final String CURRENT = read();

    private ProxyVersion() {
    }

    private static String read() {
        try (InputStream in = ProxyVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("proxy-runtime is missing its " + RESOURCE + " resource");
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "").trim();
            if (v.isEmpty() || v.contains("${")) {
                throw new IllegalStateException(RESOURCE + " has version '" + v + "' (was the resource filtered by the build?)");
            }
            return v;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
