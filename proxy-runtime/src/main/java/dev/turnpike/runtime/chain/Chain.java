package dev.turnpike.runtime.chain;

import dev.turnpike.api.BodyChunk;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamConnection;
import dev.turnpike.api.UpstreamFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An immutable snapshot of the plugin chain: the started instances in configured order, plus, per
 * phase, the positions of the plugins that actually implement it (so a request does not call the
 * no-op defaults of the others). A request holds the chain it started with until its logging phase
 * is done; a reload builds a new chain and swaps it in, and the old one's plugins are stopped only
 * once it has drained (every request that held it finished).
 *
 * <p>One chain is one generation of every configured chain: the links of {@code plugins.chain}
 * (the HTTP phases' positions index only those) and of each tcp listener's chain
 * ({@link #connections}). They are built, swapped, leased and retired together, so a reload is one
 * all-or-nothing step whatever it touches.
 */
public final class Chain {

    private static final Logger log = LoggerFactory.getLogger(Chain.class);

    private final List<ChainLink> links;
    private final java.util.Map<String, ConnectionChain> connections;
    private final List<String> listeners;
    private final int[][] byPhase = new int[Phase.values().length][];
    private final String[] idsByPhase = new String[Phase.values().length];
    /** Requests holding this chain: counted per request, so a retired chain knows when it is drained. */
    private final LongAdder leases = new LongAdder();
    private volatile boolean retired;

    /** A chain of HTTP links only. */
    public Chain(List<ChainLink> links) {
        this(links, java.util.Collections.nCopies(links.size(), null));
    }

    /**
     * @param links     every link, in configured order ({@code plugins.chain}, then each tcp chain)
     * @param listeners for each link, the tcp listener whose chain it belongs to, or {@code null} for
     *                  {@code plugins.chain}
     */
    public Chain(List<ChainLink> links, List<String> listeners) {
        if (listeners.size() != links.size()) {
            throw new IllegalArgumentException(links.size() + " links but " + listeners.size() + " listeners");
        }
        this.links = List.copyOf(links);
        this.listeners = java.util.Collections.unmodifiableList(new ArrayList<>(listeners));
        java.util.Map<String, List<ChainLink>> byListener = new java.util.LinkedHashMap<>();
        for (int i = 0; i < this.links.size(); i++) {
            if (listeners.get(i) != null) {
                byListener.computeIfAbsent(listeners.get(i), k -> new ArrayList<>()).add(this.links.get(i));
            }
        }
        java.util.Map<String, ConnectionChain> tcp = new java.util.LinkedHashMap<>();
        byListener.forEach((name, l) -> tcp.put(name, new ConnectionChain(name, l)));
        this.connections = java.util.Collections.unmodifiableMap(tcp);
        for (Phase phase : Phase.values()) {
            List<Integer> positions = new ArrayList<>();
            for (int i = 0; i < this.links.size(); i++) {
                if (listeners.get(i) == null && phase.isImplementedBy(this.links.get(i).plugin())) {
                    positions.add(i);
                }
            }
            byPhase[phase.ordinal()] = positions.stream().mapToInt(Integer::intValue).toArray();
            StringBuilder ids = new StringBuilder();
            for (int p : byPhase[phase.ordinal()]) {
                ids.append(ids.length() == 0 ? "" : ",").append(this.links.get(p).pluginId());
            }
            idsByPhase[phase.ordinal()] = ids.length() == 0 ? null : ids.toString();
        }
    }

    /**
     * Takes a lease for one request. Fails when the chain was retired meanwhile (a reload swapped in
     * a newer one): the caller then takes the current chain again. Increment first, check second,
     * so that {@link #drained()} can never miss a request that went on to use the chain.
     */
    public boolean tryAcquire() {
        leases.increment();
        if (retired) {
            leases.decrement();
            return false;
        }
        return true;
    }

    /** Gives back the lease of a request that has finished (after its logging phase). */
    public void release() {
        leases.decrement();
    }

    /** No new request may take this chain from now on. */
    public void retire() {
        retired = true;
    }

    public boolean isRetired() {
        return retired;
    }

    /** Retired and no request holds it any longer: its plugins may be stopped. */
    public boolean drained() {
        return retired && leases.sum() == 0;
    }

    /** Requests holding the chain now. */
    public long inFlight() {
        return leases.sum();
    }

    /** A chain with no plugins (every request then fails in upstream_peer with 502). */
    public static Chain empty() {
        return new Chain(List.of());
    }

    /** Every link of the generation, HTTP and tcp (for the lifecycle: start, keep, stop). */
    public List<ChainLink> links() {
        return links;
    }

    /** The tcp listener whose chain link {@code position} belongs to, or {@code null} for plugins.chain. */
    public String listenerOf(int position) {
        return listeners.get(position);
    }

    /** The chain of the tcp listener named {@code listener}, or {@code null} when it has none. */
    public ConnectionChain connections(String listener) {
        return connections.get(listener);
    }

    public int size() {
        return links.size();
    }

    public ChainLink link(int position) {
        return links.get(position);
    }

    /** The positions, in chain order, of the plugins that implement {@code phase}. */
    public int[] positions(Phase phase) {
        return byPhase[phase.ordinal()];
    }

    /** The ids of the plugins that implement {@code phase}, comma-separated, or null when none does. */
    public String pluginIds(Phase phase) {
        return idsByPhase[phase.ordinal()];
    }

    /** Whether any plugin needs a per-request context (the others get {@code null} without a call). */
    public boolean needsContexts() {
        return positions(Phase.NEW_CONTEXT).length > 0;
    }

    /** Stops every instance, last first; a plugin that throws is logged and the rest still stop. */
    public void stop() {
        stop(links);
    }

    /**
     * Stops the given started instances, last first, without building a chain of them (building
     * one reads their classes, which is what may have failed).
     */
    public static void stop(List<ChainLink> links) {
        for (int i = links.size() - 1; i >= 0; i--) {
            ChainLink link = links.get(i);
            try {
                link.plugin().stop();
            } catch (RuntimeException | LinkageError e) {
                log.warn("plugin {} {} threw in stop()", link.pluginId(), link.version(), e);
            }
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (ChainLink l : links) {
            sb.append(sb.length() > 1 ? ", " : "").append(l.pluginId()).append(' ').append(l.version());
        }
        return sb.append(']').toString();
    }

    /** The request-path calls a plugin may override; used to skip the defaults. */
    public enum Phase {
        NEW_CONTEXT("new_context", "newContext", Session.class),
        REQUEST_FILTER("request_filter", "requestFilter", Session.class, Object.class),
        UPSTREAM_PEER("upstream_peer", "upstreamPeer", Session.class, Object.class),
        UPSTREAM_REQUEST_FILTER("upstream_request_filter", "upstreamRequestFilter", Session.class, Object.class),
        CONNECTED_TO_UPSTREAM("connected_to_upstream", "connectedToUpstream", Session.class, Object.class,
                UpstreamConnection.class),
        REQUEST_BODY_FILTER("request_body_filter", "requestBodyFilter", Session.class, Object.class, BodyChunk.class),
        FAIL_TO_CONNECT("fail_to_connect", "failToConnect", Session.class, Object.class, UpstreamFailure.class),
        ERROR_WHILE_PROXYING("error_while_proxying", "errorWhileProxying", Session.class, Object.class, UpstreamFailure.class),
        RESPONSE_FILTER("response_filter", "responseFilter", Session.class, Object.class),
        RESPONSE_BODY_FILTER("response_body_filter", "responseBodyFilter", Session.class, Object.class, BodyChunk.class),
        FAIL_TO_PROXY("fail_to_proxy", "failToProxy", Session.class, Object.class, ProxyError.class),
        LOGGING("logging", "logging", Session.class, Object.class);

        private final String label;
        private final String method;
        private final Class<?>[] params;

        Phase(String label, String method, Class<?>... params) {
            this.label = label;
            this.method = method;
            this.params = params;
        }

        /** The phase's name as logs and metrics spell it. */
        public String label() {
            return label;
        }

        /**
         * Whether the plugin's class overrides this phase: a method of the class or a superclass, or
         * a default method of an interface it implements other than {@link ProxyPlugin} itself (a
         * plugin may take a phase from a mixin interface). Only ProxyPlugin's own no-op defaults are
         * skipped.
         */
        boolean isImplementedBy(ProxyPlugin<?> plugin) {
            return Overrides.phase(plugin, ProxyPlugin.class, this::is);
        }

        /** Whether {@code m} is this phase: its name, its arity, a {@link Session} first. */
        private boolean is(java.lang.reflect.Method m) {
            return m.getName().equals(method) && m.getParameterCount() == params.length
                    && m.getParameterTypes()[0] == Session.class
                    && (params[params.length - 1] == Object.class
                        || m.getParameterTypes()[params.length - 1] == params[params.length - 1]);
        }
    }
}
