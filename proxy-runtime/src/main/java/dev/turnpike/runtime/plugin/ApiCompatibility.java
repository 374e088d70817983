package dev.turnpike.runtime.plugin;

import dev.turnpike.api.ApiVersion;
import org.pf4j.DefaultVersionManager;
import org.pf4j.VersionManager;

/**
 * Whether a plugin's {@code Plugin-Requires} admits the proxy-api this proxy runs
 * ({@link ApiVersion}), judged as PF4J judges it, so the two never disagree: a semver range such as
 * {@code >=0.2.0 & <1.0.0}; a bare {@code 0.2.0} means {@code >=0.2.0}; {@code *} admits every
 * version.
 *
 * <p>A jar with <b>no</b> {@code Plugin-Requires} loads (PF4J's default is {@code *}), since the
 * proxy cannot tell what it was built against; the caller logs a WARN so the operator knows the
 * plugin is unchecked. Stateless; any thread.
 */
final class ApiCompatibility {

    private static final VersionManager VERSIONS = new DefaultVersionManager();

    /** What the check found. */
    enum Verdict {
        /** The range admits this API. */
        COMPATIBLE,
        /** The jar declares no range: loaded unchecked. */
        UNDECLARED
    }

    private final String apiVersion;

    ApiCompatibility() {
        this(ApiVersion.CURRENT);
    }

    ApiCompatibility(String apiVersion) {
        this.apiVersion = apiVersion;
    }

    /** The API version plugins are checked against. */
    String apiVersion() {
        return apiVersion;
    }

    /**
     * @throws PluginLoadException when the jar's range excludes this API or is not a range,
     *                             naming the plugin, its range and this API's version
     */
    Verdict check(StagedJar jar) throws PluginLoadException {
        String requires = jar.requires();
        if (requires == null) {
            return Verdict.UNDECLARED;
        }
        boolean admits;
        try {
            admits = VERSIONS.checkVersionConstraint(apiVersion, asPf4jReads(requires));
        } catch (RuntimeException e) {
            throw new PluginLoadException(jar.sourceFile(), "plugin " + jar.id() + " " + jar.version()
                    + " has Plugin-Requires '" + requires + "', which is not a semver range (for example "
                    + suggestedRange() + "): " + e.getMessage(), e);
        }
        if (!admits) {
            throw new PluginLoadException(jar.sourceFile(), "plugin " + jar.id() + " " + jar.version()
                    + " requires proxy-api " + requires + "; this proxy has proxy-api " + apiVersion);
        }
        return Verdict.COMPATIBLE;
    }

    /** PF4J (exact versions not allowed, its default) reads a bare version as a lower bound. */
    private static String asPf4jReads(String requires) {
        return requires.matches("^\\d+\\.\\d+\\.\\d+$") ? ">=" + requires : requires;
    }

    /** The range a plugin built against this API would declare: this version up to the next major. */
    String suggestedRange() {
        int major = Integer.parseInt(apiVersion.substring(0, apiVersion.indexOf('.')));
        return ">=" + apiVersion + " & <" + (major + 1) + ".0.0";
    }
}
