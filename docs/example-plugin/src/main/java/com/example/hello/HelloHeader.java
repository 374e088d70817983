package com.example.hello;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import org.pf4j.Extension;

/** Adds {@code X-Hello: <value>} to every response that comes back from a backend. */
@Extension
public class HelloHeader implements ProxyPlugin<Void> {

    private String value;

    @Override
    public void start(PluginContext context) {
        // Read every key you accept: a key left unread is refused as unknown.
        value = context.config().string("value", "world");
    }

    @Override
    public Outcome responseFilter(Session session, Void ctx) {
        session.response().headers().set("X-Hello", value);
        return Outcome.proceed();
    }
}
