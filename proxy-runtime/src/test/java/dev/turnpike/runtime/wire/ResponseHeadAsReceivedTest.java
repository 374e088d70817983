package dev.turnpike.runtime.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.wire.WireHarness.Read;
import dev.turnpike.runtime.wire.WireHarness.Seen;
import dev.turnpike.testing.RecordingBackend;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Over real sockets: a response head no plugin edits reaches the client as the backend wrote it
 * (its spacing, case and reason phrase), less its hop-by-hop lines, with the proxy's request id
 * appended; a head whose Connection field names another field is written from its fields instead.
 */
class ResponseHeadAsReceivedTest {

    static WireHarness wire;
    static volatile byte[] reply = new byte[0];

    @BeforeAll
    static void start() throws Exception {
        wire = WireHarness.start((request, index) -> new RecordingBackend.Reply(reply, true));
    }

    @AfterAll
    static void stop() throws Exception {
        wire.close();
    }

    private static String answer(String response) throws Exception {
        reply = response.getBytes(StandardCharsets.ISO_8859_1);
        Seen seen = wire.exchange("GET /r HTTP/1.1\r\nHost: t\r\n\r\n", 1, Read.RESPONSES);
        return seen.text();
    }

    @Test
    void anUntouchedHeadIsPassedOnByteForByte() throws Exception {
        String text = answer("HTTP/1.1 200 Quite Fine\r\nX-Odd:  spaced\t \r\nconnection: keep-alive\r\n"
                + "CONTENT-length:2\r\nKeep-Alive: timeout=5\r\nSet-Cookie: a=b; Path=/\r\n\r\nok");
        assertTrue(Pattern.compile("HTTP/1\\.1 200 Quite Fine\r\nX-Odd:  spaced\t \r\nCONTENT-length:2\r\n"
                + "Set-Cookie: a=b; Path=/\r\nX-Request-Id: [^\r\n]+\r\n\r\nok").matcher(text).matches(), text);
    }

    @Test
    void aHeadWhoseConnectionNamesAFieldLosesThatFieldToo() throws Exception {
        String text = answer("HTTP/1.1 200 OK\r\nConnection: X-Internal\r\nX-Internal: secret\r\nContent-Length: 2\r\n\r\nok");
        assertTrue(text.startsWith("HTTP/1.1 200 OK\r\n"), text);
        assertTrue(!text.contains("secret") && !text.toLowerCase().contains("x-internal"), text);
        assertEquals("ok", text.substring(text.indexOf("\r\n\r\n") + 4));
    }
}
