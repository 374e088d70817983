package dev.turnpike.runtime.reload.plugins;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import io.netty.util.AsciiString;

/**
 * {@link VersionHeader} written against a Netty class in one branch of its response filter: it
 * would load, start and serve, and fail on the first response that takes the branch, if the
 * host did not refuse it at load.
 */
public final class NettyVersionHeader implements ProxyPlugin<Void> {

    /**
     * {@link VersionHeader#HEADER}, spelled out: javac leaves the class of an inlined constant in
     * the constant pool, so naming it would make the jar use a class it does not carry.
     */
    private static final String HEADER = "X-Plugin-Version";

    private volatile String version = "?";

    @Override
    public void start(PluginContext context) {
        version = context.pluginVersion();
    }

    @Override
    public Outcome responseFilter(Session session, Void ctx) {
        String value = version;
        if (value.isEmpty()) {
            value = AsciiString.of("unknown").toString();
        }
        session.response().headers().set(HEADER, value);
        return Outcome.proceed();
    }
}
