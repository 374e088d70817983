package dev.turnpike.plugins.loadbalancer.select;

import java.util.function.IntPredicate;

/**
 * Chooses one backend of a group for a request. Backends are identified by their index
 * {@code 0..n-1} in the group the selector was built for.
 *
 * <p>Thread-safe; called concurrently on event loops; never blocks, takes no lock and allocates
 * nothing per call.
 */
public interface Selector {

    /**
     * Chooses a backend.
     *
     * @param hash     the request's key hash (only {@link ConsistentHash} uses it; others ignore it)
     * @param eligible which backends may be chosen now (healthy and not yet tried by this request);
     *                 called on the calling thread, possibly several times, so it must be cheap and
     *                 side-effect free
     * @return the chosen backend's index, or -1 when no eligible backend exists
     */
    int select(long hash, IntPredicate eligible);
}
