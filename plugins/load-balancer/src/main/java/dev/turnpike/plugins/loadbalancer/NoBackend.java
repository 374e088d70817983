package dev.turnpike.plugins.loadbalancer;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Response;

/**
 * How a group says it has no backend to offer, built once per group for the kind of chain it
 * serves. An HTTP chain answers the client; a tcp chain cannot (no HTTP is spoken there, and its
 * phases may not respond), so it rejects the connection with the same words, for the access log.
 *
 * @param unavailable no backend is healthy on a first attempt (HTTP: 503 with {@code Retry-After: 1})
 * @param exhausted   backends were tried and none is left (HTTP: 502)
 */
record NoBackend(Outcome unavailable, Outcome exhausted) {

    static NoBackend of(ChainKind chain, String group) {
        String unavailable = "no healthy backend in group " + group;
        String exhausted = "every backend of group " + group + " that could be tried failed";
        if (chain == ChainKind.TCP) {
            return new NoBackend(Outcome.reject(unavailable), Outcome.reject(exhausted));
        }
        return new NoBackend(
                Outcome.respond(Response.status(503).header("Retry-After", "1").body(unavailable + "\n").build()),
                Outcome.respond(Response.status(502).body(exhausted + "\n").build()));
    }
}
