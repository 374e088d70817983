package dev.turnpike.runtime.reload.plugins;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;

/**
 * A test plugin standing for a security plugin, packed into a jar at test time: its request_filter
 * answers 401 unless the request's {@code X-Api-Key} is config {@code key} (default
 * {@code secret}). What must never silently drop out of the chain.
 */
public final class ApiKeyGate implements ProxyPlugin<Void> {

    public static final String HEADER = "X-Api-Key";

    private static final Response UNAUTHORIZED = Response.status(401)
            .header("WWW-Authenticate", "ApiKey")
            .body("no valid " + HEADER + "\n")
            .build();

    private volatile String key = "secret";

    @Override
    public void start(PluginContext context) {
        key = context.config().string("key", "secret");
    }

    @Override
    public Outcome requestFilter(Session session, Void ctx) {
        return key.equals(session.request().headers().get(HEADER)) ? Outcome.proceed() : Outcome.respond(UNAUTHORIZED);
    }
}
