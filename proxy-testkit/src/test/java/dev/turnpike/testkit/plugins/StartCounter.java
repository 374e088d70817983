package dev.turnpike.testkit.plugins;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import java.util.concurrent.atomic.AtomicInteger;

/** A class-path plugin given as one instance: counts its starts and the requests it saw. */
public final class StartCounter implements ProxyPlugin<Void> {

    public final AtomicInteger starts = new AtomicInteger();
    public final AtomicInteger requests = new AtomicInteger();

    @Override
    public void start(PluginContext context) {
        starts.incrementAndGet();
    }

    @Override
    public Outcome requestFilter(Session session, Void ctx) {
        requests.incrementAndGet();
        return Outcome.proceed();
    }
}
