package dev.turnpike.runtime.chain;

import dev.turnpike.api.ConnectionPlugin;
import dev.turnpike.api.ConnectionSession;
import dev.turnpike.api.UpstreamFailure;
import java.lang.reflect.Method;

/**
 * The connection-level calls a plugin may override ({@link ConnectionPlugin}), used, as
 * {@link Chain.Phase} is for the HTTP ones, to call a phase only on the plugins that implement it.
 */
public enum ConnectionPhase {
    NEW_CONTEXT("new_connection_context", "newConnectionContext", 1),
    CONNECTION_FILTER("connection_filter", "connectionFilter", 2),
    UPSTREAM_PEER("upstream_peer", "upstreamPeer", 2),
    FAIL_TO_CONNECT("fail_to_connect", "failToConnect", 3),
    LOGGING("logging", "logging", 2);

    /**
     * Where these phases' timings sit among a plugin's per-phase metric slots: after the HTTP
     * phases', so the two kinds never share a slot (they share a label where the names agree).
     */
    public static final int METRIC_OFFSET = Chain.Phase.values().length;

    private final String label;
    private final String method;
    private final int params;

    ConnectionPhase(String label, String method, int params) {
        this.label = label;
        this.method = method;
        this.params = params;
    }

    /** The phase's name as logs and metrics spell it. */
    public String label() {
        return label;
    }

    /** The plugin's metric slot for this phase. */
    public int metricIndex() {
        return METRIC_OFFSET + ordinal();
    }

    /**
     * Whether the plugin's class overrides this phase: its first parameter a
     * {@link ConnectionSession} (the HTTP overloads of the same name take a {@code Session}), in the
     * class, a superclass, or an interface other than {@link ConnectionPlugin} itself.
     */
    boolean isImplementedBy(Object plugin) {
        return plugin instanceof ConnectionPlugin<?> && Overrides.phase(plugin, ConnectionPlugin.class, this::is);
    }

    /** Whether {@code m} is this phase: its name, its arity, a {@link ConnectionSession} first. */
    private boolean is(Method m) {
        return m.getName().equals(method) && m.getParameterCount() == params
                && m.getParameterTypes()[0] == ConnectionSession.class
                && (params < 3 || m.getParameterTypes()[2] == UpstreamFailure.class);
    }
}
