package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Issue 15: a request_filter's own answer goes out with exactly one Content-Type, the one the plugin
 * gave, however it gave it; read off the wire, since an HTTP client library may fold duplicates.
 */
class PluginResponseContentTypeTest {

    /** Answers every request with {@code response}. */
    record Answer(Response response) implements ProxyPlugin<Void> {
        @Override
        public Outcome requestFilter(Session session, Void ctx) {
            return Outcome.respond(response);
        }
    }

    /** The raw response to one GET with Connection: close: head lines and body. */
    private static String[] exchange(InJvmProxy proxy) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 5_000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String text = all.toString(StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            assertTrue(end > 0, "a complete head: " + text);
            return new String[] {text.substring(0, end), text.substring(end + 4)};
        }
    }

    private static List<String> contentTypeLines(String head) {
        return head.lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("content-type:")).toList();
    }

    private static void assertOneContentType(Response response, String expected, String body) throws Exception {
        try (InJvmProxy proxy = InJvmProxy.builder().plugin("answer", new Answer(response)).start()) {
            String[] r = exchange(proxy);
            assertTrue(r[0].startsWith("HTTP/1.1 403"), r[0]);
            assertEquals(List.of("content-type: " + expected), contentTypeLines(r[0]).stream()
                    .map(l -> l.toLowerCase(Locale.ROOT)).toList(), r[0]);
            assertEquals(body, r[1]);
        }
    }

    @Test
    void aJsonTypeAddedAfterATextBodyIsTheOnlyOne() throws Exception {
        assertOneContentType(Response.status(403).body("{\"error\":\"denied\"}").header("Content-Type", "application/json").build(),
                "application/json", "{\"error\":\"denied\"}");
    }

    @Test
    void theTypedBodyOverloadSendsItsType() throws Exception {
        assertOneContentType(Response.status(403).body("{\"e\":1}", "application/json").build(), "application/json", "{\"e\":1}");
    }

    @Test
    void aTextBodyAloneIsPlainText() throws Exception {
        assertOneContentType(Response.status(403).body("no").build(), "text/plain; charset=utf-8", "no");
    }
}
