package dev.turnpike.testkit.plugins;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;

/**
 * A test plugin packed into jars at test time (uses the plugin API alone): its response_filter sets
 * {@code X-Plugin-Version} to the {@code Plugin-Version} of the jar it was loaded from.
 */
public final class VersionStamp implements ProxyPlugin<Void> {

    public static final String HEADER = "X-Plugin-Version";

    private volatile String version = "?";

    @Override
    public void start(PluginContext context) {
        version = context.pluginVersion();
    }

    @Override
    public Outcome responseFilter(Session session, Void ctx) {
        session.response().headers().set(HEADER, version);
        return Outcome.proceed();
    }
}
