package dev.turnpike.testkit.plugins;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;

/**
 * A test plugin (the plugin API alone, so it also goes into jars built at test time): tells the
 * backend who greeted ({@code X-Greeted-By: greeter}) and the client the greeting
 * ({@code X-Greeting}, config {@code greeting}, default "hello") and the version that greeted
 * ({@link #VERSION_HEADER}: the jar's {@code Plugin-Version}).
 */
public final class Greeter implements ProxyPlugin<Void> {

    public static final String VERSION_HEADER = "X-Greeter-Version";

    private volatile String greeting;
    private volatile String version;

    @Override
    public void start(PluginContext context) {
        greeting = context.config().string("greeting", "hello");
        version = context.pluginVersion();
    }

    @Override
    public Outcome upstreamRequestFilter(Session session, Void ctx) {
        session.upstreamRequest().headers().set("X-Greeted-By", "greeter");
        return Outcome.proceed();
    }

    @Override
    public Outcome responseFilter(Session session, Void ctx) {
        session.response().headers().set("X-Greeting", greeting).set(VERSION_HEADER, version);
        return Outcome.proceed();
    }
}
