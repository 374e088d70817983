package dev.turnpike.plugins.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.testkit.phases.PhaseHarness;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Fail closed: every refusal names the key's full path and the reason; the defaults are the README's. */
class TracingSettingsTest {

    private static final String AT = "plugins.chain[0].config.";

    @Test
    void theDefaults() {
        try (Traced t = new Traced()) {
            TracingSettings s = t.plugin.settings();
            assertEquals("http://127.0.0.1:4318/v1/traces", s.endpoint.toString());
            assertEquals("turnpike", s.serviceName);
            assertTrue(s.trustIncoming);
            assertEquals(1.0, s.sampleRatio);
            assertTrue(s.headers.isEmpty());
            assertEquals(Duration.ofSeconds(10), s.timeout);
            assertEquals(TracingSettings.Compression.NONE, s.compression);
            assertEquals(2048, s.maxQueue);
            assertEquals(512, s.maxBatch);
            assertEquals(Duration.ofSeconds(5), s.flushInterval);
        }
    }

    @Test
    void everyKeySet() {
        try (Traced t = new Traced(Map.of("endpoint", "https://otel.example:4318/v1/traces", "service_name", "edge-1",
                "trust_incoming", false, "sample_ratio", 0.25, "headers", Map.of("Authorization", "Bearer x"),
                "timeout", "2s", "compression", "gzip", "max_queue", 100, "max_batch", 100, "flush_interval", "250ms"))) {
            TracingSettings s = t.plugin.settings();
            assertEquals("https://otel.example:4318/v1/traces", s.endpoint.toString());
            assertEquals("edge-1", s.serviceName);
            assertFalse(s.trustIncoming);
            assertEquals(0.25, s.sampleRatio);
            assertEquals(Map.of("Authorization", "Bearer x"), s.headers);
            assertEquals(Duration.ofSeconds(2), s.timeout);
            assertEquals(TracingSettings.Compression.GZIP, s.compression);
            assertEquals(100, s.maxQueue);
            assertEquals(100, s.maxBatch);
            assertEquals(Duration.ofMillis(250), s.flushInterval);
        }
    }

    @Test
    void aSmallQueueLowersTheDefaultBatch() {
        try (Traced t = new Traced(Map.of("max_queue", 10))) {
            assertEquals(10, t.plugin.settings().maxBatch);
        }
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of(Map.of("endpont", "http://x:4318/v1/traces"), AT + "endpont", "did you mean endpoint?"),
                Arguments.of(Map.of("endpoint", "grpc://x:4317"), AT + "endpoint", "must be an http:// or https:// URL"),
                Arguments.of(Map.of("endpoint", "http:///v1/traces"), AT + "endpoint", "names no host"),
                Arguments.of(Map.of("endpoint", "http://u:p@x:4318/v1/traces"), AT + "endpoint", "credentials in the URL"),
                Arguments.of(Map.of("endpoint", "http://x y"), AT + "endpoint", "is not a URL"),
                Arguments.of(Map.of("service_name", " "), AT + "service_name", "1 to 255 characters"),
                Arguments.of(Map.of("trust_incoming", "maybe"), AT + "trust_incoming", "expected true or false"),
                Arguments.of(Map.of("sample_ratio", 1.5), AT + "sample_ratio", "outside 0..1"),
                Arguments.of(Map.of("sample_ratio", -0.1), AT + "sample_ratio", "outside 0..1"),
                Arguments.of(Map.of("sample_ratio", "half"), AT + "sample_ratio", "expected a number"),
                Arguments.of(Map.of("headers", "Authorization: x"), AT + "headers", "expected a mapping"),
                Arguments.of(Map.of("headers", Map.of("Bad Name", "x")), AT + "headers.Bad Name", "not an HTTP token"),
                Arguments.of(Map.of("headers", Map.of("X-Key", "a\r\nb")), AT + "headers.X-Key", "CR, LF or NUL"),
                Arguments.of(Map.of("headers", Map.of("X-Key", Map.of())), AT + "headers.X-Key", "expected a text value"),
                Arguments.of(Map.of("timeout", "0s"), AT + "timeout", "more than 0"),
                Arguments.of(Map.of("timeout", "2m"), AT + "timeout", "at most 60s"),
                Arguments.of(Map.of("timeout", "soon"), AT + "timeout", "expected a duration"),
                Arguments.of(Map.of("compression", "zstd"), AT + "compression", "not one of none, gzip"),
                Arguments.of(Map.of("max_queue", 0), AT + "max_queue", "outside 1..1000000"),
                Arguments.of(Map.of("max_batch", 600, "max_queue", 500), AT + "max_batch", "more than max_queue"),
                Arguments.of(Map.of("flush_interval", "0ms"), AT + "flush_interval", "more than 0"));
    }

    @ParameterizedTest
    @MethodSource
    void refused(Map<String, ?> config, String key, String reason) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> PhaseHarness.start(new Tracing(s -> InMemorySpanExporter.create(), line -> { }, System::nanoTime), config));
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.reason().contains(reason), () -> "reason '" + e.reason() + "' should say '" + reason + "'");
    }

    @Test
    void aHeaderValueIsNeverEchoedInARefusal() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> PhaseHarness.start(
                new Tracing(s -> InMemorySpanExporter.create(), line -> { }, System::nanoTime),
                Map.of("headers", Map.of("Authorization", "Bearer s3cret\n"))));
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    }
}
