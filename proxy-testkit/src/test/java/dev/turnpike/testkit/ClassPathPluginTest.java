package dev.turnpike.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testkit.plugins.Greeter;
import dev.turnpike.testkit.plugins.StartCounter;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The extension with plugins from the class path: one proxy for the class, real sockets throughout. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClassPathPluginTest {

    static final TestBackend backend = TestBackend.start();
    static final StartCounter counter = new StartCounter();

    static final String CHAIN = """
            plugins:
              chain:
                - id: counter
                - id: greeter
                  config: { greeting: %s }
                - id: testkit-upstream
                  config: { backend: ${backend.a} }
            """;

    @RegisterExtension
    static final TurnpikeExtension proxy = TurnpikeExtension.builder()
            .backend("a", backend)
            .plugin("greeter", Greeter.class)
            .plugin("counter", counter)
            .yaml(CHAIN.formatted("hello"))
            .build();

    @Test
    @Order(1)
    void requestsGoThroughTheChainToTheBackend() {
        backend.on("/hi", Answer.ok("hi there").header("X-From", "backend"));

        proxy.client().get("/hi?x=1").assertStatus(200).assertBody("hi there")
                .assertHeader("X-Greeting", "hello").assertHeader("X-From", "backend");

        RecordedRequest seen = backend.lastRequest();
        assertEquals("/hi?x=1", seen.target());
        assertEquals("greeter", seen.header("x-greeted-by"));
        assertTrue(counter.requests.get() >= 1, "the instance given to the builder served the request");
    }

    @Test
    @Order(2)
    void metricsAndTheAccessLogSeeTheRequest() {
        proxy.client().get("/counted").assertStatus(200);

        proxy.client().awaitMetric("turnpike_requests_total", 2, "method", "GET", "status", "200");
        String line = proxy.client().awaitAccessLogLine("/counted");
        assertTrue(line.contains("200"), line);
        assertTrue(proxy.metricsPort() > 0 && proxy.port() > 0 && proxy.metricsPort() != proxy.port());
    }

    @Test
    @Order(3)
    void aReloadPutsTheNewConfigurationInForce() {
        long before = proxy.generation();
        int startsBefore = counter.starts.get();

        proxy.reload(CHAIN.formatted("bonjour"));

        assertTrue(proxy.generation() > before);
        proxy.client().get("/").assertHeader("X-Greeting", "bonjour");
        // The counter's entry did not change: its running instance is kept, not started again.
        assertEquals(startsBefore, counter.starts.get());
    }

    @Test
    @Order(4)
    void aRefusedReloadFailsWithTheReasonAndTheOldChainStays() {
        AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> proxy.reload(CHAIN.formatted("hello") + "    - id: nowhere\n"));
        assertTrue(e.getMessage().contains("nowhere") || e.getMessage().contains("refused"), e.getMessage());
        proxy.client().get("/").assertStatus(200).assertHeader("X-Greeting", "bonjour");
    }
}
