package com.example.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnpike.testkit.Answer;
import dev.turnpike.testkit.TestBackend;
import dev.turnpike.testkit.TurnpikeExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The README's complete example, verbatim: if this fails, the README is wrong. */
class HelloHeaderTest {

    static final TestBackend backend = TestBackend.start()
            .on("/hi", Answer.ok("hi there").header("Cache-Control", "no-store"));

    @RegisterExtension
    static final TurnpikeExtension proxy = TurnpikeExtension.builder()
            .backend("a", backend)                        // ${backend.a} = 127.0.0.1:PORT
            .plugin("hello", HelloHeader.class)           // from the class path, under the id "hello"
            .yaml("""
                plugins:
                  chain:
                    - id: hello
                      config: { value: testkit }
                    - id: testkit-upstream                # the testkit's own: every request to one backend
                      config: { backend: ${backend.a} }
                """)
            .build();

    @Test
    void addsTheHeader() {
        String[] ok = {"method", "GET", "status", "200"};
        double before = proxy.client().metrics().valueOrZero("turnpike_requests_total", ok);

        proxy.client().get("/hi")
                .assertStatus(200)
                .assertHeader("X-Hello", "testkit")
                .assertBody("hi there");

        assertEquals("/hi", backend.lastRequest().path());
        proxy.client().awaitMetric("turnpike_requests_total", before + 1, ok); // counted after the response
        proxy.client().awaitAccessLogLine("/hi");
    }

    @Test
    void aReloadAppliesTheNewValue() {
        proxy.reload("""
                plugins:
                  chain:
                    - id: hello
                      config: { value: reloaded }
                    - id: testkit-upstream
                      config: { backend: ${backend.a} }
                """);
        proxy.client().get("/").assertHeader("X-Hello", "reloaded");
    }
}
