package dev.turnpike.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/** On an instance field, each test gets a proxy of its own: what one test reloads, the next never sees. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PerTestLifecycleTest {

    static final TestBackend backend = TestBackend.start();

    static final String CHAIN = """
            plugins:
              chain:
                - id: testkit-upstream
                  config: { backend: ${backend.a} }
            """;

    @RegisterExtension
    final TurnpikeExtension proxy = TurnpikeExtension.builder().backend("a", backend).yaml(CHAIN).build();

    @AfterAll
    static void closeBackend() {
        backend.close(); // an instance field's extension gets no "after all"
    }

    @Test
    @Order(1)
    void aReloadMovesThisProxysGeneration() {
        proxy.reload(CHAIN);
        assertTrue(proxy.generation() >= 2, "generation " + proxy.generation());
    }

    @Test
    @Order(2)
    void theNextTestStartsFresh() {
        assertEquals(1, proxy.generation());
        proxy.client().get("/").assertStatus(200).assertBody("ok");
    }
}
