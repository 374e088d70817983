package dev.turnpike.runtime.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mockingDetails;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.spy;
import static org.mockito.Mockito.verify;

import dev.turnpike.api.Headers;
import dev.turnpike.runtime.wire.RequestFraming;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pins down {@link OverlayHeaders}, the upstream head's headers: reads fall through to the client's
 * headers, edits are kept on the side and never reach the client's {@link HttpHeaders} (not even
 * through a copy: the client's set is neither copied nor written to), what get/getAll/size/names
 * and iteration report after edits, the name and value checks, and that edits end with the phase.
 */
class OverlayHeadersTest {

    private HttpHeaders clientHeaders;
    private UpstreamHead head;
    private Headers overlay;

    @BeforeEach
    void setUp() {
        clientHeaders = new DefaultHttpHeaders();
        clientHeaders.add("Host", "example.com");
        clientHeaders.add("Accept", "text/html");
        clientHeaders.add("X-Trace", "a");
        clientHeaders.add("X-Trace", "b");
        clientHeaders.add("User-Agent", "curl/8");
        head = upstreamHead(clientHeaders);
        overlay = head.headers();
    }

    private static UpstreamHead upstreamHead(HttpHeaders headers) {
        DefaultHttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x", headers);
        RequestView view = new RequestView(request, RequestFraming.Body.NONE, -1);
        return new UpstreamHead(view, RequestFraming.Body.NONE, -1);
    }

    /** The headers as "name: value" lines, in order: what equality of two header sets means here. */
    private static List<String> lines(Iterable<Map.Entry<String, String>> headers) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : headers) {
            out.add(e.getKey() + ": " + e.getValue());
        }
        return out;
    }

    private static List<String> lines(HttpHeaders headers) {
        List<String> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, String>> it = headers.iteratorAsString(); it.hasNext(); ) {
            Map.Entry<String, String> e = it.next();
            out.add(e.getKey() + ": " + e.getValue());
        }
        return out;
    }

    @Test
    void readsFallThroughToTheClientsHeaders() {
        assertEquals("example.com", overlay.get("host"));
        assertEquals(List.of("a", "b"), overlay.getAll("x-trace"));
        assertTrue(overlay.contains("USER-AGENT"));
        assertFalse(overlay.contains("Cookie"));
        assertNull(overlay.get("Cookie"));
        assertEquals(List.of(), overlay.getAll("Cookie"));
        assertEquals(5, overlay.size());
        assertEquals(Set.of("Host", "Accept", "X-Trace", "User-Agent"), overlay.names());
        assertEquals(lines(clientHeaders), lines(overlay));
    }

    @Test
    void setAddAndRemoveNeverChangeTheClientsHeaders() {
        List<String> before = lines(clientHeaders);

        overlay.set("Accept", "application/json");
        overlay.add("X-Trace", "c");
        overlay.add("Via", "1.1 turnpike");
        overlay.remove("User-Agent");
        overlay.set("Host", "backend:8080");
        overlay.remove("Not-There");

        assertEquals(before, lines(clientHeaders));
        assertEquals("text/html", clientHeaders.get("Accept"));
        assertFalse(clientHeaders.contains("Via"));
        // ...while the overlay shows the edits.
        assertEquals("application/json", overlay.get("Accept"));
        assertEquals("backend:8080", overlay.get("Host"));
    }

    @Test
    void aRemovedNameIsGone() {
        overlay.remove("x-trace");

        assertFalse(overlay.contains("X-Trace"));
        assertNull(overlay.get("X-Trace"));
        assertEquals(List.of(), overlay.getAll("X-Trace"));
        assertEquals(3, overlay.size());
        assertFalse(overlay.names().stream().anyMatch(n -> n.equalsIgnoreCase("X-Trace")));
        assertTrue(clientHeaders.contains("X-Trace"));
    }

    @Test
    void aRemovedNameCanBeSetAgain() {
        overlay.remove("Accept");
        overlay.add("Accept", "image/png");

        assertEquals(List.of("image/png"), overlay.getAll("Accept"));
        assertTrue(overlay.contains("accept"));
    }

    @Test
    void addOnAnUntouchedNameKeepsTheClientsValuesAndAppends() {
        overlay.add("X-Trace", "c");

        assertEquals(List.of("a", "b", "c"), overlay.getAll("X-Trace"));
        assertEquals("a", overlay.get("X-Trace"));
        assertEquals(6, overlay.size());
        assertEquals(List.of("a", "b"), clientHeaders.getAll("X-Trace"));
    }

    @Test
    void setReplacesEveryValue() {
        overlay.set("x-trace", "z");

        assertEquals(List.of("z"), overlay.getAll("X-Trace"));
        assertEquals(4, overlay.size());
    }

    @Test
    void getAllIsASnapshotThatDoesNotWriteThrough() {
        overlay.add("X-Trace", "c");
        List<String> all = overlay.getAll("X-Trace");

        assertThrows(UnsupportedOperationException.class, () -> all.add("d"));
        overlay.add("X-Trace", "d");
        assertEquals(List.of("a", "b", "c"), all);
    }

    @Test
    void iterationShowsUntouchedClientLinesInOrderThenTheTouchedNames() {
        overlay.add("Via", "1.1 turnpike");
        overlay.set("Accept", "application/json");
        overlay.remove("User-Agent");

        assertEquals(List.of(
                "Host: example.com",
                "X-Trace: a",
                "X-Trace: b",
                "Via: 1.1 turnpike",
                "Accept: application/json"), lines(overlay));
        assertEquals(5, overlay.size());
        assertEquals(List.of("Host", "X-Trace", "Via", "Accept"), new ArrayList<>(overlay.names()));
    }

    @Test
    void namesCompareCaseInsensitively() {
        overlay.set("x-new", "1");
        overlay.add("X-NEW", "2");

        assertEquals(List.of("1", "2"), overlay.getAll("X-New"));
        assertTrue(overlay.contains("x-NEW"));
        assertEquals(1, overlay.names().stream().filter(n -> n.equalsIgnoreCase("x-new")).count());
    }

    @Test
    void aNewOverlayOnTheSameClientHeadSeesNoneOfAnEarlierOnesEdits() {
        overlay.set("Accept", "application/json");
        overlay.remove("Host");

        Headers retry = new UpstreamHead(new RequestView(
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x", clientHeaders),
                RequestFraming.Body.NONE, -1), RequestFraming.Body.NONE, -1).headers();

        assertEquals(lines(clientHeaders), lines(retry));
        assertEquals("text/html", retry.get("Accept"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bad Name", "X:Y", "", "X-Tab\t", "Ünïcode", "a\r\nInjected"})
    void aNameThatIsNotATokenIsRefused(String name) {
        assertThrows(IllegalArgumentException.class, () -> overlay.set(name, "v"));
        assertThrows(IllegalArgumentException.class, () -> overlay.add(name, "v"));
        assertEquals(lines(clientHeaders), lines(overlay), "nothing was changed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\r\nInjected: 1", "a\nb", "a\rb", "a\0b"})
    void aValueWithCrLfOrNulIsRefused(String value) {
        assertThrows(IllegalArgumentException.class, () -> overlay.set("Accept", value));
        assertThrows(IllegalArgumentException.class, () -> overlay.add("Accept", value));
        assertThrows(IllegalArgumentException.class, () -> overlay.add("X-New", value));
        assertEquals(List.of("text/html"), overlay.getAll("Accept"));
        assertFalse(overlay.contains("X-New"));
    }

    @Test
    void aNullValueIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> overlay.set("Accept", null));
        assertThrows(IllegalArgumentException.class, () -> overlay.add("Accept", null));
    }

    @Test
    void editsAfterFreezeThrowAndChangeNothing() {
        overlay.set("Accept", "application/json");
        head.freeze();
        List<String> frozen = lines(overlay);

        assertThrows(IllegalStateException.class, () -> overlay.set("Accept", "x"));
        assertThrows(IllegalStateException.class, () -> overlay.add("Via", "x"));
        assertThrows(IllegalStateException.class, () -> overlay.remove("Host"));
        assertEquals(frozen, lines(overlay));
        assertEquals("application/json", overlay.get("Accept"), "reads still work");
    }

    @Test
    void iteratedEntriesCannotWriteThroughToTheClientsHeaders() {
        List<String> before = lines(clientHeaders);

        // Untouched, the overlay iterates the client's headers themselves.
        for (Map.Entry<String, String> e : overlay) {
            assertThrows(UnsupportedOperationException.class, () -> e.setValue("evil\r\nInjected: 1"));
        }
        overlay.set("Accept", "application/json");
        // Touched, it iterates the client's untouched lines plus its own.
        for (Map.Entry<String, String> e : overlay) {
            assertThrows(UnsupportedOperationException.class, () -> e.setValue("evil\r\nInjected: 1"));
        }
        head.freeze();
        for (Map.Entry<String, String> e : overlay) {
            assertThrows(UnsupportedOperationException.class, () -> e.setValue("late"));
        }

        assertEquals(before, lines(clientHeaders));
        assertEquals("application/json", overlay.get("Accept"));
        ByteBuf out = head.encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            assertFalse(out.toString(StandardCharsets.ISO_8859_1).contains("Injected"));
        } finally {
            out.release();
        }
    }

    @Test
    void theClientsHeaderSetIsNeitherCopiedNorWrittenTo() {
        HttpHeaders real = new DefaultHttpHeaders();
        real.add("Host", "example.com");
        real.add("Accept", "text/html");
        real.add("Content-Length", "3");
        real.add("User-Agent", "curl/8");
        HttpHeaders watched = spy(real);
        List<String> before = lines(watched);
        DefaultHttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/x", watched);
        UpstreamHead h = new UpstreamHead(new RequestView(request, RequestFraming.Body.LENGTH, 3),
                RequestFraming.Body.LENGTH, 3);
        Headers edits = h.headers();

        edits.set("Accept", "application/json");
        edits.add("Via", "1.1 turnpike");
        edits.add("User-Agent", "turnpike");
        edits.remove("Host");
        lines(edits);
        edits.size();
        edits.names();
        h.freeze();
        h.hostIfMissing("backend:8080");
        ByteBuf out = h.encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            assertTrue(out.toString(StandardCharsets.ISO_8859_1).contains("Host: backend:8080\r\n"));
        } finally {
            out.release();
        }

        verify(watched, never()).copy();
        List<String> mutators = mockingDetails(watched).getInvocations().stream()
                .map(i -> i.getMethod().getName())
                .filter(n -> n.startsWith("set") || n.startsWith("add") || n.startsWith("remove")
                        || n.equals("clear") || n.equals("copy"))
                .collect(Collectors.toList());
        assertEquals(List.of(), mutators, "calls that copy or change the client's headers");
        assertEquals(before, lines(watched));
    }
}
