package dev.turnpike.runtime.reload.plugins;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;

/**
 * A test plugin for the reload tests, packed into jars at test time (one jar per version): its
 * response_filter sets {@code X-Plugin-Version: <the Plugin-Version of its jar>}. Takes no config.
 */
public final class VersionHeader implements ProxyPlugin<Void> {

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
