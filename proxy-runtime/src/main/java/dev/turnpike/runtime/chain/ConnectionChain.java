package dev.turnpike.runtime.chain;

import dev.turnpike.api.ConnectionPlugin;
import java.util.ArrayList;
import java.util.List;

/**
 * One tcp listener's part of a {@link Chain}: its links, in configured order, and per connection
 * phase the positions of those that implement it. A connection leases the whole {@link Chain} (one
 * generation serves every listener), and uses this view of it.
 */
public final class ConnectionChain {

    private final String listener;
    private final List<ChainLink> links;
    private final int[][] byPhase = new int[ConnectionPhase.values().length][];

    ConnectionChain(String listener, List<ChainLink> links) {
        this.listener = listener;
        this.links = List.copyOf(links);
        for (ConnectionPhase phase : ConnectionPhase.values()) {
            List<Integer> positions = new ArrayList<>();
            for (int i = 0; i < this.links.size(); i++) {
                if (phase.isImplementedBy(this.links.get(i).plugin())) {
                    positions.add(i);
                }
            }
            byPhase[phase.ordinal()] = positions.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /** The listener's name. */
    public String listener() {
        return listener;
    }

    public int size() {
        return links.size();
    }

    public ChainLink link(int position) {
        return links.get(position);
    }

    /** The plugin at {@code position} as a connection plugin (every link of this chain is one). */
    @SuppressWarnings("unchecked")
    public ConnectionPlugin<Object> plugin(int position) {
        return (ConnectionPlugin<Object>) links.get(position).plugin();
    }

    /** The positions, in chain order, of the plugins that implement {@code phase}. */
    public int[] positions(ConnectionPhase phase) {
        return byPhase[phase.ordinal()];
    }
}
