package dev.turnpike.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of this plugin API, as a semantic version ({@code major.minor.patch}, no
 * pre-release part). It moves with the API's contract, not with the proxy's releases: a minor for
 * additions, a major for anything that breaks a plugin compiled against the previous version (the
 * build checks this against the last release).
 *
 * <p>A plugin declares the API versions it works with in its manifest as PF4J's
 * {@code Plugin-Requires}, a semver range such as {@code >=0.1.0 & <1.0.0}; the runtime refuses, at
 * load, a plugin whose range excludes the API it runs.
 *
 * <p>The value is read from a resource of this jar when the class initializes, so it is the version
 * of the API on the class path at run time (the proxy's), never one compiled into a plugin. Any
 * thread; immutable.
 */
public final class ApiVersion {

    private static final String RESOURCE = "api-version.properties";

    /** This API's version, for instance {@code 0.1.0}. Deliberately not a compile-time constant. */
    public static final String CURRENT = read();

    private ApiVersion() {
    }

    /** This API's version: the same as {@link #CURRENT}. */
    public static String current() {
        return CURRENT;
    }

    private static String read() {
        try (InputStream in = ApiVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("proxy-api is missing its " + RESOURCE + " resource");
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("api.version", "").trim();
            if (!v.matches("\\d+\\.\\d+\\.\\d+")) {
                throw new IllegalStateException("proxy-api's " + RESOURCE + " has api.version '" + v
                        + "', not major.minor.patch (was the resource filtered by the build?)");
            }
            return v;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read proxy-api's " + RESOURCE, e);
        }
    }
}
