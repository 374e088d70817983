package dev.turnpike.testkit.plugins;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;

/**
 * A class-path test plugin: tells the backend who greeted ({@code X-Greeted-By: greeter}) and the
 * client the greeting ({@code X-Greeting}, config {@code greeting}, default "hello").
 */
public final class Greeter implements ProxyPlugin<Void> {

    private volatile String greeting;

    @Override
    public void start(PluginContext context) {
        greeting = context.config().string("greeting", "hello");
    }

    @Override
    public Outcome upstreamRequestFilter(Session session, Void ctx) {
        session.upstreamRequest().headers().set("X-Greeted-By", "greeter");
        return Outcome.proceed();
    }

    @Override
    public Outcome responseFilter(Session session, Void ctx) {
        session.response().headers().set("X-Greeting", greeting);
        return Outcome.proceed();
    }
}
