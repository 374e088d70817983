package com.example.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.testkit.phases.Exchange;
import dev.turnpike.testkit.phases.FakeSession;
import dev.turnpike.testkit.phases.PhaseHarness;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonRedactTest {

    private final PhaseHarness<JsonRedact.Redaction> harness = PhaseHarness.start(new JsonRedact(),
            Map.of("keys", List.of("password", "ssn")));

    @Test
    void aJsonResponseIsRedactedChunkByChunkWithTheKeyAndValueSplit() {
        Exchange<JsonRedact.Redaction> x = response("application/json; charset=utf-8", "ETag", "\"v1\"");

        assertEquals(-1, x.session().response().bodyLength());
        assertNull(x.session().response().headers().get("ETag"));
        assertEquals("{\"name\":\"ann\",\"password\":\"[redacted]\",\"ssn\":\"[redacted]\"}",
                x.responseBody("{\"name\":\"ann\",\"pass", "word\":\"hun", "ter2\",\"ss", "n\":\"078-05-1120\"}"));
    }

    @Test
    void eachChunkGoesOnAtOnce() {
        Exchange<JsonRedact.Redaction> x = response("application/x-ndjson");
        // Nothing is held back: the first chunk's output is all of it but the dropped value's start.
        assertEquals("{\"id\":1,\"password\":\"[redacted]\"", x.responseBody("{\"id\":1,\"password\":\"se"));
    }

    @Test
    void suffixTypesMatchAndOtherTypesPassUntouched() {
        assertEquals("{\"ssn\":\"[redacted]\"}", response("application/problem+json").responseBody("{\"ssn\":\"1\"}"));
        Exchange<JsonRedact.Redaction> html = response("text/html");
        assertEquals(200, html.session().status());
        assertEquals("{\"ssn\":\"1\"}", html.responseBody("{\"ssn\":\"1\"}"));
        assertNull(html.context().redactor);
    }

    @Test
    void aCompressedBodyIsLeftAlone() {
        Exchange<JsonRedact.Redaction> x = response("application/json", "Content-Encoding", "gzip");
        assertNull(x.context().redactor);
    }

    @Test
    void badConfigIsRefusedWithKeyAndReason() {
        assertEquals("plugins.chain[0].config.keys: required: at least one key whose values are redacted",
                refused(Map.of()).getMessage());
        assertEquals("plugins.chain[0].config.keys: 'a\"b' must be non-empty, without quotes, backslashes or control characters",
                refused(Map.of("keys", List.of("a\"b"))).getMessage());
        assertEquals("plugins.chain[0].config.ignore_case: expected true or false, got 'yes'",
                refused(Map.of("keys", List.of("a"), "ignore_case", "yes")).getMessage());
        assertEquals("plugins.chain[0].config.key: unknown key key (did you mean keys?)", refused(Map.of("keys", List.of("a"), "key", "b")).getMessage());
    }

    private Exchange<JsonRedact.Redaction> response(String type, String... headers) {
        Exchange<JsonRedact.Redaction> x = harness.exchange(FakeSession.get("/users/1"));
        String[] all = new String[headers.length + 2];
        all[0] = "Content-Type";
        all[1] = type;
        System.arraycopy(headers, 0, all, 2, headers.length);
        x.backendResponds(200, all);
        x.responseFilter();
        return x;
    }

    private static InvalidConfigException refused(Map<String, ?> config) {
        return assertThrows(InvalidConfigException.class, () -> PhaseHarness.start(new JsonRedact(), config));
    }
}
