package com.example.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonRedactorTest {

    private final RedactRules rules = new RedactRules(List.of("password", "token", "card"), true, "[redacted]");

    @Test
    void stringValuesOfTheKeysAreReplacedAtAnyDepth() {
        assertEquals("{\"user\":\"ann\",\"password\":\"[redacted]\",\"auth\":{\"token\":\"[redacted]\",\"ttl\":60}}",
                whole("{\"user\":\"ann\",\"password\":\"hunter2\",\"auth\":{\"token\":\"abc.def\",\"ttl\":60}}"));
    }

    @Test
    void numbersLiteralsObjectsAndArraysAreReplacedWhole() {
        assertEquals("[{\"card\":\"[redacted]\"},{\"card\" : \"[redacted]\" ,\"n\":1},{\"card\":\"[redacted]\"},"
                        + "{\"card\":\"[redacted]\",\"x\":true}]",
                whole("[{\"card\":4111111111111111},{\"card\" : null ,\"n\":1},{\"card\":{\"no\":\"4111\",\"cvv\":[1,{\"a\":\"}\"}]}},"
                        + "{\"card\":[\"4111\",\"]\"],\"x\":true}]"));
    }

    @Test
    void escapesInsideRedactedValuesAndKeysDoNotLoseTheScanner() {
        assertEquals("{\"password\":\"[redacted]\",\"note\":\"say \\\"password\\\": \\\"x\\\"\",\"a\\\"b\":\"keep\"}",
                whole("{\"password\":\"a\\\"b\\\\\",\"note\":\"say \\\"password\\\": \\\"x\\\"\",\"a\\\"b\":\"keep\"}"));
    }

    @Test
    void aKeyWrittenAsAValueIsNotAKey() {
        String json = "{\"field\":\"password\",\"list\":[\"token\",\"card\"],\"password2\":\"keep\"}";
        assertEquals(json, whole(json));
    }

    @Test
    void keysMatchIgnoringCaseWhenSoConfigured() {
        assertEquals("{\"Password\":\"[redacted]\",\"TOKEN\":\"[redacted]\"}", whole("{\"Password\":\"x\",\"TOKEN\":\"y\"}"));
        JsonRedactor exact = new JsonRedactor(new RedactRules(List.of("password"), false, "***"));
        assertEquals("{\"Password\":\"x\",\"password\":\"***\"}",
                new String(exact.next(utf8("{\"Password\":\"x\",\"password\":\"y\"}")), StandardCharsets.UTF_8));
    }

    @Test
    void ndjsonLinesAreEachRedacted() {
        assertEquals("{\"id\":1,\"token\":\"[redacted]\"}\n{\"id\":2,\"token\":\"[redacted]\"}\n\"token\"\n",
                whole("{\"id\":1,\"token\":\"t1\"}\n{\"id\":2,\"token\":\"t2\"}\n\"token\"\n"));
    }

    @Test
    void everySplitOfTheBodyGivesTheSameOutput() {
        String json = "{\"user\":\"zoë\",\"password\":\"p\\\"w€\",\"nested\":[{\"Card\":{\"n\":\"4111\"}},{\"token\":-1.5e3}],"
                + "\"end\":\"ok\"}\n{\"token\":true}";
        String expected = whole(json);
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        for (int a = 0; a <= bytes.length; a++) {
            for (int b = a; b <= bytes.length; b += 7) {
                JsonRedactor r = new JsonRedactor(rules);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.writeBytes(r.next(ByteBuffer.wrap(bytes, 0, a).slice()));
                out.writeBytes(r.next(ByteBuffer.wrap(bytes, a, b - a).slice()));
                out.writeBytes(r.next(ByteBuffer.wrap(bytes, b, bytes.length - b).slice()));
                assertEquals(expected, out.toString(StandardCharsets.UTF_8), "split at " + a + " and " + b);
            }
        }
        assertEquals("{\"user\":\"zoë\",\"password\":\"[redacted]\",\"nested\":[{\"Card\":\"[redacted]\"},{\"token\":\"[redacted]\"}],"
                + "\"end\":\"ok\"}\n{\"token\":\"[redacted]\"}", expected);
    }

    @Test
    void nestingPastTheLimitPassesThroughUntouched() {
        String deep = "[".repeat(JsonRedactor.MAX_DEPTH + 1) + "{\"password\":\"x\"}" + "]".repeat(JsonRedactor.MAX_DEPTH + 1);
        assertEquals(deep, whole(deep));
    }

    private String whole(String json) {
        return new String(new JsonRedactor(rules).next(utf8(json)), StandardCharsets.UTF_8);
    }

    private static ByteBuffer utf8(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }
}
