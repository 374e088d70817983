package dev.turnpike.plugins.ratelimit;

import java.util.List;

/**
 * The Redis side of a mode: which script runs it, its arguments, and what its reply means for a
 * {@link Decision}. The scripts count in microseconds on the Redis server's clock (one clock for the
 * whole fleet); the decision's numbers are nanoseconds, as in local mode. Immutable.
 */
final class RemotePolicy {

    static final long NANOS_PER_MICRO = 1000;

    private final RedisScript script;
    private final String arg1;
    private final String arg2;
    private final long limit;

    private RemotePolicy(RedisScript script, long arg1, long arg2, long limit) {
        this.script = script;
        this.arg1 = Long.toString(arg1);
        this.arg2 = Long.toString(arg2);
        this.limit = limit;
    }

    /** The policy of {@code s}: checked by {@link Settings} to fit whole microseconds. */
    static RemotePolicy of(Settings s) {
        if (s.mode == Settings.Mode.TOKEN_BUCKET) {
            long interval = Math.max(1, Math.round(1e6 / s.refillPerSecond));
            return new RemotePolicy(RedisScript.GCRA, interval, s.burst * interval, s.burst);
        }
        return new RemotePolicy(RedisScript.SLIDING_WINDOW, s.maxRequests, s.window.toNanos() / NANOS_PER_MICRO, s.maxRequests);
    }

    RedisScript script() {
        return script;
    }

    /**
     * The script's arguments for {@code n} requests; {@code batch}: already admitted here, to be
     * recorded as far as they fit (sync_interval); {@code member}: unique to this call.
     */
    String[] args(long n, boolean batch, String member) {
        return new String[] {arg1, arg2, Long.toString(n), batch ? "1" : "0", member};
    }

    /** Fills {@code d} from the script's reply {allowed, remaining, reset us, retry us}. */
    void fill(List<Object> reply, Decision d) {
        if (reply == null || reply.size() < 4) {
            throw new IllegalStateException("unexpected reply from " + script + ": " + reply);
        }
        d.allowed = number(reply.get(0)) == 1;
        d.limit = limit;
        d.remaining = Math.max(0, number(reply.get(1)));
        d.resetNanos = Math.max(0, number(reply.get(2))) * NANOS_PER_MICRO;
        d.retryAfterNanos = Math.max(0, number(reply.get(3))) * NANOS_PER_MICRO;
    }

    private long number(Object o) {
        if (o instanceof Number n) {
            return n.longValue();
        }
        throw new IllegalStateException("unexpected value in the reply of " + script + ": " + o);
    }
}
