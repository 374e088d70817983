package dev.turnpike.runtime.plugin;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What of the host a plugin may see: the Java platform, and of the runtime's own class path only
 * {@code dev.turnpike.api.*}, {@code org.pf4j.*} and {@code org.slf4j.*}. Everything else there
 * (the runtime's internals, Netty, SnakeYAML, Prometheus, Logback) is hidden, so a plugin cannot
 * come to depend on what the next release is free to change. Immutable; any thread.
 *
 * <p><b>The Java platform</b> is every package of the boot layer's modules that the boot or the
 * platform class loader defines: exactly what the platform class loader, the parent of a plugin's
 * {@link BoundaryClassLoader}, can load. That takes in {@code java.*} and also {@code javax.crypto},
 * {@code javax.net.ssl}, {@code java.net.http}, {@code javax.xml}, {@code org.w3c.dom} and the
 * like, which a plugin may legitimately need and which are the JDK's to keep stable, not ours. A
 * prefix list ({@code javax.*}, ...) would instead let through any jar on the runtime's class path
 * that uses such a name (a {@code javax.annotation} jar, say). The JDK's tool modules
 * ({@code jdk.compiler}, {@code jdk.attach}, ...) live in the application class loader and stay
 * hidden.
 *
 * <p>This is a boundary for honest code, not a sandbox: a plugin can still reach the application
 * class loader through {@link ClassLoader#getSystemClassLoader()} or a thread's context loader.
 */
final class PluginBoundary {

    /** The runtime's class path packages plugins share, as name prefixes (subpackages included). */
    private static final List<String> SHARED_PREFIXES = List.of("dev.turnpike.api.", "org.pf4j.", "org.slf4j.");

    /** How refusals name what plugins see. */
    static final String VISIBLE = "the Java platform, dev.turnpike.api.*, org.pf4j.*, org.slf4j.* "
            + "and the classes in their own jar";

    private static final Set<String> PLATFORM_PACKAGES = platformPackages();

    private final ClassLoader host;
    private final Set<String> alsoShared;

    private PluginBoundary(ClassLoader host, Set<String> alsoShared) {
        this.host = host;
        this.alsoShared = alsoShared;
    }

    /** The boundary of every plugin: the runtime's own class loader behind the shared packages. */
    static PluginBoundary standard() {
        return new PluginBoundary(PluginBoundary.class.getClassLoader(), Set.of());
    }

    /**
     * This boundary, with the named host classes shared as well. For tests only, whose plugins
     * report to a class on the test class path; production plugins get {@link #standard()}.
     */
    PluginBoundary alsoSharing(String... classNames) {
        Set<String> more = new HashSet<>(alsoShared);
        more.addAll(List.of(classNames));
        return new PluginBoundary(host, Set.copyOf(more));
    }

    /** The class loader the shared classes come from. */
    ClassLoader host() {
        return host;
    }

    /** Whether {@code className} (binary name) is a class of the Java platform (see the class doc). */
    static boolean isPlatform(String className) {
        return PLATFORM_PACKAGES.contains(packageOf(className));
    }

    /** Whether a plugin gets {@code className} from the host's class loader. */
    boolean sharesHostClass(String className) {
        return hasSharedPrefix(className) || alsoShared.contains(className);
    }

    /**
     * Whether a plugin sees the host's resource {@code name} (a path such as
     * {@code org/slf4j/Logger.class}): only those in the shared packages. Everything else the host
     * carries ({@code logback.xml}, {@code META-INF/services/*}, other jars' manifests) is the
     * host's business; the plugin's own resources come from its jar before the parent is asked.
     */
    boolean sharesHostResource(String name) {
        int slash = name.lastIndexOf('/');
        return slash > 0 && hasSharedPrefix(name.substring(0, slash).replace('/', '.') + ".");
    }

    /** Whether a plugin that does not carry {@code className} itself can load it. */
    boolean visible(String className) {
        return isPlatform(className) || sharesHostClass(className);
    }

    /**
     * Whether {@code className} is there on the host but hidden from plugins: what a plugin must
     * not use. A class the host does not have at all is not the boundary's concern (it is missing
     * for the plugin either way, as an optional dependency left out of its jar may be).
     */
    boolean hides(String className) {
        return !visible(className) && host.getResource(className.replace('.', '/') + ".class") != null;
    }

    /**
     * The refusal of plugin {@code pluginId} for using {@code className}, in the class
     * {@code usedBy} of its jar ({@code null} when not known).
     */
    static String refusal(String pluginId, String className, String usedBy) {
        return "plugin '" + pluginId + "' uses " + className + (usedBy != null ? " (in " + usedBy + ")" : "")
                + ", which is not part of the plugin API (plugins see " + VISIBLE + ")";
    }

    private static boolean hasSharedPrefix(String name) {
        for (String prefix : SHARED_PREFIXES) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static String packageOf(String className) {
        int dot = className.lastIndexOf('.');
        return dot < 0 ? "" : className.substring(0, dot);
    }

    private static Set<String> platformPackages() {
        ClassLoader platform = ClassLoader.getPlatformClassLoader();
        Set<String> packages = new HashSet<>();
        for (Module module : ModuleLayer.boot().modules()) {
            ClassLoader loader = module.getClassLoader();
            if (loader == null || loader == platform) {
                packages.addAll(module.getPackages());
            }
        }
        return Set.copyOf(packages);
    }
}
