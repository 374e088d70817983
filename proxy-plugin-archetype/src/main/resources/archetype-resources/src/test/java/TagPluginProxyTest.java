package ${package};

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnpike.testkit.Answer;
import dev.turnpike.testkit.RecordedRequest;
import dev.turnpike.testkit.TestBackend;
import dev.turnpike.testkit.TurnpikeExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The plugin in a real proxy, in this JVM: real sockets on 127.0.0.1, a scriptable backend, the
 * proxy's own config parsing, chain and phase order. Each test gets a fresh proxy ({@code perTest}),
 * so the reload in one does not leak into another.
 */
class TagPluginProxyTest {

    static final TestBackend backend = TestBackend.start()
            .on("/hello", Answer.ok("hello from the backend"));

    @RegisterExtension
    static final TurnpikeExtension proxy = TurnpikeExtension.builder()
            .backend("a", backend)                        // the placeholder backend.a is its 127.0.0.1:PORT
            .plugin("${pluginId}", TagPlugin.class)       // from the class path, under the id it has in the jar
            .yaml("""
                plugins:
                  chain:
                    - id: ${pluginId}
                      config: { tag: in-process }
                    - id: testkit-upstream                # the testkit's own: every request to one backend
                      config: { backend: ${backend.a} }
                """)
            .perTest()
            .build();

    @Test
    void theBackendReceivesTheTag() {
        proxy.client().get("/hello")
                .assertStatus(200)
                .assertBody("hello from the backend");

        RecordedRequest received = backend.lastRequest();
        assertEquals("/hello", received.path());
        assertEquals("in-process", received.header(TagPlugin.HEADER));
    }

    @Test
    void aReloadAppliesTheNewTag() {
        proxy.reload("""
                plugins:
                  chain:
                    - id: ${pluginId}
                      config: { tag: reloaded }
                    - id: testkit-upstream
                      config: { backend: ${backend.a} }
                """);

        proxy.client().get("/hello").assertStatus(200);

        assertEquals("reloaded", backend.lastRequest().header(TagPlugin.HEADER));
    }
}
