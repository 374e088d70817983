package dev.turnpike.runtime.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@link ArrayHeaders} against Netty's {@link DefaultHttpHeaders}, which the engine used before
 * it: the same operations must leave the same fields, in the same order, under every lookup.
 */
class ArrayHeadersTest {

    private static final String[] NAMES = {"Host", "host", "HOST", "Content-Length", "content-length",
        "Transfer-Encoding", "X-A", "x-a", "X-B", "Connection", "Upgrade", "Set-Cookie", "Accept"};

    @Test
    void randomOperationsMatchNettysHeaders() {
        Random random = new Random(20261201);
        for (int round = 0; round < 300; round++) {
            HttpHeaders netty = new DefaultHttpHeaders();
            HttpHeaders ours = new ArrayHeaders();
            for (int op = 0; op < 60; op++) {
                CharSequence name = randomName(random);
                String value = "v" + random.nextInt(5);
                switch (random.nextInt(7)) {
                    case 0, 1, 2 -> {
                        netty.add(name, value);
                        ours.add(name, value);
                    }
                    case 3 -> {
                        netty.set(name, value);
                        ours.set(name, value);
                    }
                    case 4 -> {
                        netty.remove(name);
                        ours.remove(name);
                    }
                    case 5 -> {
                        netty.set(name, List.of(value, value + "x"));
                        ours.set(name, List.of(value, value + "x"));
                    }
                    default -> {
                        if (random.nextInt(10) == 0) {
                            netty.clear();
                            ours.clear();
                        }
                    }
                }
                assertSame(netty, ours, "round " + round + " op " + op);
            }
        }
    }

    private static CharSequence randomName(Random random) {
        String n = NAMES[random.nextInt(NAMES.length)];
        // Both kinds of name the engine passes: constants (AsciiString) and plugins' Strings.
        return random.nextBoolean() ? n : AsciiString.of(n);
    }

    private static void assertSame(HttpHeaders expected, HttpHeaders actual, String where) {
        assertEquals(pairs(expected), pairs(actual), where + ": fields in order");
        assertEquals(expected.size(), actual.size(), where + ": size");
        assertEquals(expected.isEmpty(), actual.isEmpty(), where + ": isEmpty");
        assertEquals(lower(expected.names()), lower(actual.names()), where + ": names");
        for (String n : NAMES) {
            assertEquals(expected.get(n), actual.get(n), where + ": get " + n);
            assertEquals(expected.getAll(n), actual.getAll(n), where + ": getAll " + n);
            assertEquals(expected.contains(n), actual.contains(n), where + ": contains " + n);
            assertEquals(expected.contains(AsciiString.of(n)), actual.contains(AsciiString.of(n)), where + ": contains ascii " + n);
            assertEquals(expected.contains(n, "v1", true), actual.contains(n, "v1", true), where + ": contains value " + n);
        }
    }

    private static List<String> pairs(HttpHeaders h) {
        List<String> all = new ArrayList<>();
        for (var it = h.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            all.add(e.getKey() + ": " + e.getValue());
        }
        List<String> asStrings = new ArrayList<>();
        for (Map.Entry<String, String> e : h) {
            asStrings.add(e.getKey() + ": " + e.getValue());
        }
        assertEquals(all, asStrings, "the two iterators agree");
        return all;
    }

    private static Set<String> lower(Set<String> names) {
        Set<String> s = new TreeSet<>();
        names.forEach(n -> s.add(n.toLowerCase(Locale.ROOT)));
        return s;
    }

    @Test
    void namesAreDistinctRegardlessOfCase() {
        ArrayHeaders h = new ArrayHeaders();
        h.add("X-A", "1").add("x-a", "2").add("Host", "h");
        assertEquals(List.of("X-A", "Host"), new ArrayList<>(h.names()));
    }

    @Test
    void valuesOverTheHeadsBytesAreNotCopied() {
        byte[] head = "text/plain".getBytes(StandardCharsets.US_ASCII);
        AsciiString value = new AsciiString(head, 0, head.length, false);
        ArrayHeaders h = new ArrayHeaders();
        h.add(HttpHeaderNames.CONTENT_TYPE, value);
        org.junit.jupiter.api.Assertions.assertSame(value, h.getRaw("content-type"));
        org.junit.jupiter.api.Assertions.assertSame(value, h.iteratorCharSequence().next().getValue());
    }

    @Test
    void numbersAndDatesConvertLikeNettys() {
        ArrayHeaders h = new ArrayHeaders();
        h.setInt("Content-Length", 42).addShort("X-S", (short) 7).add("Date", new Date(0));
        assertEquals(42, h.getInt("content-length"));
        assertEquals((short) 7, h.getShort("x-s"));
        assertEquals("Thu, 01 Jan 1970 00:00:00 GMT", h.get("date"));
        assertEquals(0L, h.getTimeMillis("date"));
        assertNull(h.getInt("x-missing"));
        assertEquals(-1, h.getInt("date", -1), "not a number");
    }

    @Test
    void setWithANullValueLeavesTheFieldsAsTheyWere() {
        ArrayHeaders h = new ArrayHeaders();
        h.add("X-A", "1");
        assertThrows(NullPointerException.class, () -> h.set("X-A", (Object) null));
        assertEquals("1", h.get("x-a"));
    }

    @Test
    void entriesHandedOutCannotBeEditedInPlace() {
        ArrayHeaders h = new ArrayHeaders();
        h.add("X-A", "1");
        assertThrows(UnsupportedOperationException.class, () -> h.iteratorCharSequence().next().setValue("2"));
        assertThrows(UnsupportedOperationException.class, () -> h.iterator().next().setValue("2"));
        assertEquals("1", h.get("X-A"));
    }

    @Test
    void growsPastItsFirstArrayAndCopiesIndependently() {
        ArrayHeaders h = new ArrayHeaders();
        for (int i = 0; i < 100; i++) {
            h.add("X-" + i, Integer.toString(i));
        }
        HttpHeaders copy = h.copy();
        h.remove("X-50");
        assertEquals(99, h.size());
        assertFalse(h.contains("x-50"));
        assertEquals(100, copy.size());
        assertTrue(copy.contains("x-50"));
        assertEquals("99", h.get("X-99"));
    }
}
