package dev.turnpike.plugins.loadbalancer;

/** How a group chooses among its backends ({@code policy:}). */
enum Policy {
    /** nginx's smooth weighted round robin: weights honoured, spread evenly (plain rotation when equal). */
    ROUND_ROBIN("round_robin"),
    /** The backend with the fewest requests in flight, relative to its weight. */
    LEAST_CONN("least_conn"),
    /** A ring of backends keyed by {@code hash_key}: a key stays on its backend; a leaving backend moves only its keys. */
    CONSISTENT_HASH("consistent_hash");

    final String key;

    Policy(String key) {
        this.key = key;
    }

    static Policy of(String key) {
        for (Policy p : values()) {
            if (p.key.equals(key)) {
                return p;
            }
        }
        throw new IllegalArgumentException(key);
    }

    static String[] keys() {
        Policy[] v = values();
        String[] out = new String[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i].key;
        }
        return out;
    }
}
