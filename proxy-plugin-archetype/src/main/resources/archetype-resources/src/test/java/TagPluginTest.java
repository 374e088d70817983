package ${package};

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.turnpike.api.Peer;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.testkit.phases.Exchange;
import dev.turnpike.testkit.phases.FakeSession;
import dev.turnpike.testkit.phases.PhaseHarness;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Unit tests on the socket-free PhaseHarness: the plugin's phases on fake sessions, its config
 * refused exactly as the proxy refuses it. No proxy, no socket; milliseconds per test.
 */
class TagPluginTest {

    /** A session with a peer already chosen, as another plugin (load-balancer) would choose it. */
    private static FakeSession request() {
        return FakeSession.get("/orders").peer(Peer.of("127.0.0.1", 9001));
    }

    @Test
    void tagsTheUpstreamRequestWithTheConfiguredValue() {
        PhaseHarness<Void> harness = PhaseHarness.start(new TagPlugin(), Map.of("tag", "blue"));

        Exchange<Void> x = harness.run(request());

        assertEquals("blue", x.session().upstreamRequest().headers().get(TagPlugin.HEADER));
        assertNull(x.session().request().headers().get(TagPlugin.HEADER), "the client's head is left as it came");
    }

    @Test
    void withoutConfigTheTagIsThePluginId() {
        PhaseHarness<Void> harness = PhaseHarness.start(new TagPlugin(), Map.of());

        Exchange<Void> x = harness.run(request());

        assertEquals("${pluginId}", x.session().upstreamRequest().headers().get(TagPlugin.HEADER));
    }

    @Test
    void aMisspeltKeyIsRefusedAsTheProxyRefusesIt() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> PhaseHarness.start(new TagPlugin(), Map.of("tagg", "blue")));

        assertEquals("plugins.chain[0].config.tagg: unknown key tagg (did you mean tag?)", e.getMessage());
    }

    @Test
    void aTagThatCannotBeAHeaderValueIsRefused() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> PhaseHarness.start(new TagPlugin(), Map.of("tag", "a\r\nSet-Cookie: x")));

        assertEquals("plugins.chain[0].config.tag: must not contain CR, LF or NUL", e.getMessage());
    }
}
