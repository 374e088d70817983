package dev.turnpike.testkit.phases;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.turnpike.api.metrics.Counter;
import dev.turnpike.api.metrics.Gauge;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FakeMetricsTest {

    private final FakeMetrics metrics = new FakeMetrics();

    @Test
    void countersAddUpPerLabelValues() {
        Counter c = metrics.counter("hits_total", "Hits.", "route", "code");
        c.inc("a", "200");
        c.add(2.5, "a", "200");
        c.inc("b", "500");
        assertEquals(3.5, metrics.value("hits_total", "a", "200"));
        assertEquals(1.0, metrics.value("hits_total", "b", "500"));
        assertEquals(0.0, metrics.value("hits_total", "c", "200"), "0 when nothing was recorded");
        assertNull(metrics.find("hits_total", "c", "200"), "find tells nothing from zero");
        assertEquals(new FakeMetrics.Registration("hits_total", FakeMetrics.Kind.COUNTER, "Hits.", List.of("route", "code")),
                metrics.registered("hits_total"));
        assertEquals(Set.of("hits_total"), metrics.names());
    }

    @Test
    void aCounterNeverGoesDown() {
        Counter c = metrics.counter("hits_total", "");
        assertThrows(IllegalArgumentException.class, () -> c.add(-1));
        assertThrows(IllegalArgumentException.class, () -> c.add(Double.NaN));
        assertNull(metrics.find("hits_total"));
    }

    @Test
    void gaugesSetIncAndDecAndCountTheSets() {
        Gauge g = metrics.gauge("up", "", "backend");
        g.set(1, "a");
        g.set(0, "a");
        g.inc("b");
        g.inc("b");
        g.dec("b");
        assertEquals(0.0, metrics.find("up", "a"));
        assertEquals(2, metrics.sets("up", "a"));
        assertEquals(1.0, metrics.value("up", "b"));
        assertEquals(0, metrics.sets("up", "b"), "inc and dec are not sets");
    }

    @Test
    void askingAgainReturnsTheSameSeries() {
        metrics.counter("hits_total", "", "route").inc("a");
        metrics.counter("hits_total", "", "route").inc("a");
        assertEquals(2.0, metrics.value("hits_total", "a"), "counts carry across registrations, as across reloads");
    }

    @Test
    void refusesWhatTheRuntimeRefuses() {
        metrics.counter("hits_total", "", "route");
        assertThrows(IllegalArgumentException.class, () -> metrics.counter("hits_total", "", "other"), "other labels");
        assertThrows(IllegalArgumentException.class, () -> metrics.gauge("hits_total", "", "route"), "another type");
        assertThrows(IllegalArgumentException.class, () -> metrics.counter("bad-name", ""));
        assertThrows(IllegalArgumentException.class, () -> metrics.counter("9lives", ""));
        assertThrows(IllegalArgumentException.class, () -> metrics.gauge("g", "", "bad label"));
        assertThrows(IllegalArgumentException.class, () -> metrics.gauge("g2", "", "__reserved"));
        Counter c = metrics.counter("hits_total", "", "route");
        assertThrows(IllegalArgumentException.class, () -> c.inc(), "one value per label name");
        assertThrows(IllegalArgumentException.class, () -> c.inc("a", "b"));
        assertThrows(IllegalArgumentException.class, () -> c.inc((String) null));
        assertNull(metrics.find("hits_total", "a"));
    }

    @Test
    void histogramsCountSumAndBucketAndRefuseBadBounds() {
        FakeMetrics metrics = new FakeMetrics();
        var h = metrics.histogram("call_seconds", "help", new double[] {0.01, 0.1}, "target");
        h.observe(0.05, "x");
        h.observe(0.2, "x");
        assertEquals(2, metrics.value("call_seconds_count", "x"));
        assertEquals(0.25, metrics.value("call_seconds_sum", "x"), 1e-9);
        assertEquals(0, metrics.value("call_seconds_bucket", "x", "0.01"));
        assertEquals(1, metrics.value("call_seconds_bucket", "x", "0.1"));
        assertEquals(2, metrics.value("call_seconds_bucket", "x", "+Inf"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> metrics.histogram("bad_seconds", "help", new double[] {1, 1}));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> metrics.histogram("call_seconds", "help", new double[] {0.5}, "target"));
        metrics.forget("target", "x");
        assertEquals(null, metrics.find("call_seconds_count", "x"));
        assertEquals(null, metrics.find("call_seconds_bucket", "x", "+Inf"));
    }
}
