package dev.turnpike.testkit.phases;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FakeHeadersTest {

    @Test
    void namesCompareIgnoringCase() {
        FakeHeaders h = FakeHeaders.of("Content-Type", "text/plain");
        assertEquals("text/plain", h.get("content-type"));
        assertEquals(List.of("text/plain"), h.getAll("CONTENT-TYPE"));
        assertTrue(h.contains("content-TYPE"));
        assertFalse(h.contains("Content-Length"));
        assertNull(h.get("Content-Length"));
        assertEquals(List.of(), h.getAll("Content-Length"));
    }

    @Test
    void aRepeatedNameKeepsEveryValueInOrder() {
        FakeHeaders h = FakeHeaders.of("Via", "1.1 a", "X", "x", "via", "1.0 b");
        assertEquals("1.1 a", h.get("Via"), "get is the first value");
        assertEquals(List.of("1.1 a", "1.0 b"), h.getAll("VIA"));
        assertEquals(3, h.size(), "a repeated name counts each time");
        assertEquals(Set.of("Via", "X"), h.names(), "a name in two cases is one name");
    }

    @Test
    void setReplacesEveryValueInAnyCaseAndAddKeepsThem() {
        FakeHeaders h = FakeHeaders.of("Via", "a", "VIA", "b").set("via", "c");
        assertEquals(List.of("c"), h.getAll("Via"));
        h.add("Via", "d");
        assertEquals(List.of("c", "d"), h.getAll("via"));
        h.remove("VIA");
        assertFalse(h.contains("Via"));
        assertEquals(0, h.size());
    }

    @Test
    void refusesWhatTheRuntimeRefuses() {
        FakeHeaders h = new FakeHeaders();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> h.set("X Bad", "v")).getMessage().contains("token"));
        assertThrows(IllegalArgumentException.class, () -> h.add("", "v"));
        assertThrows(IllegalArgumentException.class, () -> h.add("X:Y", "v"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> h.add("X", "a\r\nB: c")).getMessage().contains("CR"));
        assertThrows(IllegalArgumentException.class, () -> h.set("X", "a\nb"));
        assertThrows(IllegalArgumentException.class, () -> h.set("X", "a\0b"));
        assertThrows(IllegalArgumentException.class, () -> h.set("X", null));
        assertEquals(0, h.size(), "nothing refused was added");
        h.add("X", "a\tb é");
        assertEquals("a\tb é", h.get("x"), "a tab and Latin-1 are fine");
        assertThrows(IllegalArgumentException.class, () -> FakeHeaders.of("X", "1", "Y"), "odd count");
    }

    @Test
    void theIteratorIsASnapshotOfImmutableEntries() {
        FakeHeaders h = FakeHeaders.of("A", "1", "B", "2");
        List<String> seen = new ArrayList<>();
        for (Map.Entry<String, String> e : h) {
            seen.add(e.getKey() + "=" + e.getValue());
            h.remove(e.getKey()); // editing while iterating is safe
        }
        assertEquals(List.of("A=1", "B=2"), seen);
        assertEquals(0, h.size());
        Iterator<Map.Entry<String, String>> it = FakeHeaders.of("A", "1").iterator();
        Map.Entry<String, String> e = it.next();
        assertThrows(UnsupportedOperationException.class, () -> e.setValue("x\r\ny"), "an entry cannot get around the checks");
    }

    @Test
    void anEditOfAReadOnlyHeadIsRefusedWithTheReason() {
        FakeHeaders h = new FakeHeaders(() -> "read-only now");
        h.append("A", "1"); // set-up, not an edit
        assertEquals("read-only now", assertThrows(IllegalStateException.class, () -> h.set("A", "2")).getMessage());
        assertThrows(IllegalStateException.class, () -> h.add("B", "2"));
        assertThrows(IllegalStateException.class, () -> h.remove("A"));
        assertThrows(IllegalStateException.class, h::clear);
        assertEquals("1", h.get("A"));
    }

    @Test
    void toStringListsTheFields() {
        assertEquals("[Host=h, X-Forwarded-For=6.6.6.6]", FakeHeaders.of("Host", "h", "X-Forwarded-For", "6.6.6.6").toString());
        assertEquals("[]", FakeHeaders.of("A", "1").clear().toString());
    }
}
