package dev.turnpike.plugins.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Response;
import dev.turnpike.testkit.phases.FakeSession;
import java.util.Map;

/** One request through {@code newContext} and {@code request_filter}, as the runtime runs them. */
record Hit(Outcome outcome, Decision context) {

    static Hit of(RateLimit plugin, FakeSession session) {
        Decision ctx = plugin.newContext(session);
        return new Hit(plugin.requestFilter(session, ctx), ctx);
    }

    boolean allowed() {
        return outcome.kind() == Outcome.Kind.PROCEED;
    }

    Response response() {
        assertEquals(Outcome.Kind.RESPOND, outcome.kind(), "expected a 429");
        return outcome.response();
    }

    /** A header of the 429 (first value), or null. */
    String header(String name) {
        for (Map.Entry<String, String> h : response().headers()) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }

    /** How many of {@code n} requests of {@code session} pass. */
    static int passes(RateLimit plugin, FakeSession session, int n) {
        int ok = 0;
        for (int i = 0; i < n; i++) {
            if (of(plugin, session).allowed()) {
                ok++;
            }
        }
        return ok;
    }
}
