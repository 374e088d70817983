package dev.turnpike.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RawHttpTest {

    private static InputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void parsesChunkedThenTheNextResponseInOrder() throws IOException {
        InputStream in = bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nx-a: 2\r\n\r\n"
                + "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
                + "HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n"
                + "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabcEXTRA");

        RawHttp.Response first = RawHttp.readResponse(in);
        assertEquals(200, first.status());
        assertEquals("OK", first.reason());
        assertTrue(first.chunked());
        assertEquals("hello, world", first.bodyText());
        assertEquals(List.of("1", "2"), first.headers("X-A"));
        assertEquals("t", first.trailers().get(0).getValue());

        RawHttp.Response second = RawHttp.readResponse(in);
        assertEquals(204, second.status());
        assertEquals(0, second.body().length);

        RawHttp.Response third = RawHttp.readResponse(in);
        assertEquals(404, third.status());
        assertEquals("abc", third.bodyText());
        assertFalse(third.chunked());
        assertEquals("EXTRA", new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
    }

    @Test
    void bodyWithoutLengthRunsToTheEndAndHeadHasNone() throws IOException {
        assertEquals("all of it", RawHttp.readResponse(bytes("HTTP/1.0 200 OK\r\n\r\nall of it")).bodyText());
        RawHttp.Response head = RawHttp.readResponse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"), true);
        assertEquals("10", head.header("content-length"));
        assertEquals(0, head.body().length);
    }

    @Test
    void truncatedResponsesAreErrors() {
        assertThrows(EOFException.class, () -> RawHttp.readResponse(bytes("")));
        assertThrows(EOFException.class, () -> RawHttp.readResponse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")));
        assertThrows(EOFException.class, () -> RawHttp.readResponse(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")));
    }
}
