package dev.turnpike.runtime.plugin.testplugins;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;

/**
 * A test plugin whose class names {@link VanishedType} in a method signature only: it can be
 * created and started without that class, but reading its methods (as the chain does to find the
 * phases it implements) needs it. Records start and stop in the {@link Journal}.
 */
public final class UsesVanishedType implements ProxyPlugin<Void> {

    @Override
    public void start(PluginContext context) {
        Journal.add("start:" + context.pluginId());
    }

    @Override
    public void stop() {
        Journal.add("stop:uses-vanished");
    }

    @Override
    public Outcome requestFilter(Session session, Void ctx) {
        return Outcome.proceed();
    }

    /** Never called; here for its signature. */
    public void audit(VanishedType detail) {
    }
}
