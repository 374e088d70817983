package dev.turnpike.runtime.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Headers;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.RequestHead;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.runtime.config.AccessLogSettings;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The line formats, field by field (the logger path and the order are covered by AccessLogLinesTest). */
class AccessLogTest {

    private static Session session(ProxyError error) {
        Session s = mock(Session.class);
        RequestHead r = mock(RequestHead.class);
        Headers h = mock(Headers.class);
        when(h.get("host")).thenReturn("shop.example");
        when(h.get("user-agent")).thenReturn("curl/8.5 \"quoted\"");
        when(h.get("referer")).thenReturn(null);
        when(h.get("x-tenant")).thenReturn("t-42");
        when(r.headers()).thenReturn(h);
        when(r.method()).thenReturn("POST");
        when(r.version()).thenReturn("HTTP/1.1");
        when(s.request()).thenReturn(r);
        when(s.clientAddress()).thenReturn(new InetSocketAddress("127.0.0.1", 5555));
        when(s.status()).thenReturn(502);
        when(s.startNanos()).thenReturn(1_000_000L);
        when(s.requestBodyBytes()).thenReturn(12L);
        when(s.responseBodyBytes()).thenReturn(34L);
        when(s.peer()).thenReturn(Peer.builder("10.0.0.7", 8080).group("shop").build());
        when(s.upstreamAttempts()).thenReturn(2);
        when(s.requestId()).thenReturn("abc-1");
        when(s.error()).thenReturn(error);
        return s;
    }

    /** Two attempts: a refused connect, then a reset after the head. */
    private static List<UpstreamTry> tries() {
        UpstreamTry refused = new UpstreamTry("10.0.0.6:8080", 0);
        refused.ended(1_500_000, ErrorKind.CONNECT_REFUSED);
        UpstreamTry answered = new UpstreamTry("10.0.0.7:8080", 2_000_000);
        answered.connected(2_250_000, false);
        answered.answered(502, 4_000_000);
        answered.ended(5_000_000, null);
        return List.of(refused, answered);
    }

    private static AccessLog log(String format, Map<String, Object> extra) {
        Map<String, Object> m = new java.util.HashMap<>(extra);
        m.put("format", format);
        return new AccessLog(AccessLogSettings.read(ConfigSection.of("access_log", m)));
    }

    @Test
    void aTextLineCarriesEveryFieldAndTheErrorKindOnly() {
        String line = log("text", Map.of()).format(session(ProxyError.of(ErrorKind.UPSTREAM_RESET,
                "backend 10.0.0.7:8080 reset the connection before its response",
                new java.io.IOException("io.netty.channel.unix.Errors$NativeIoException: recvAddress(..) failed"))),
                "/a?b=c", 4_500_000L, tries(), null);
        for (String field : new String[] {"client=127.0.0.1:5555", "method=POST", "path=/a?b=c", "protocol=HTTP/1.1",
                "host=shop.example", "status=502", "duration_ms=3.500", "bytes_in=12", "bytes_out=34",
                "upstream=10.0.0.7:8080", "attempts=2", "upstream_addr=\"10.0.0.6:8080, 10.0.0.7:8080\"",
                "upstream_status=\"-, 502\"", "upstream_connect_ms=\"-, 0.250\"", "upstream_header_ms=\"-, 2.000\"",
                "upstream_response_ms=\"1.500, 3.000\"", "request_id=abc-1", "responded_by=-", "error=upstream_reset",
                "user_agent=\"curl/8.5 \\\"quoted\\\"\"", "referer=-"}) {
            assertTrue(line.contains(field), field + " in " + line);
        }
        assertTrue(line.startsWith("ts="), line);
        assertFalse(line.contains("Netty") || line.contains("recvAddress"), "no exception text: " + line);
        assertTrue(line.contains("reason=\"backend 10.0.0.7:8080 reset the connection before its response\""),
                "the engine's words on what failed: " + line);
    }

    @Test
    void aPluginFailureNamesThePluginAndPhaseNotItsException() {
        String line = log("text", Map.of()).format(session(ProxyError.plugin("auth", "request_filter",
                "java.lang.IllegalStateException: secret token abc", new IllegalStateException("secret token abc"))),
                "/", 2_000_000L, null, null);
        assertTrue(line.contains("error=plugin") && line.contains("reason=\"auth in request_filter\""), line);
        assertFalse(line.contains("secret") || line.contains("Exception"), line);
    }

    @Test
    void aJsonLineHasNumbersBareAndAbsentValuesNull() {
        String line = log("json", Map.of()).format(session(null), "/x\"y", 2_234_567L, null, null);
        assertTrue(line.startsWith("{\"ts\":\"") && line.endsWith("}"), line);
        for (String field : new String[] {"\"path\":\"/x\\\"y\"", "\"status\":502", "\"duration_ms\":1.234",
                "\"bytes_in\":12", "\"host\":\"shop.example\"", "\"attempts\":2", "\"upstream_addr\":null",
                "\"error\":null", "\"referer\":null"}) {
            assertTrue(line.contains(field), field + " in " + line);
        }
    }

    @Test
    void anUnparseableHeadIsLoggedAsWhatItWas() {
        String line = log("text", Map.of()).format(session(ProxyError.of(ErrorKind.BAD_REQUEST,
                "a header name ends in whitespace", null).withStatus(400)), "/bad-request", 2_000_000L, null,
                new AccessLog.UnparsedHead("a header name ends in whitespace", 41));
        for (String field : new String[] {"method=-", "path=-", "protocol=-", "host=-", "user_agent=-", "error=bad_request",
                "reason=\"a header name ends in whitespace\"", "head_bytes=41", "upstream=-"}) {
            assertTrue(line.contains(field), field + " in " + line);
        }
        assertFalse(line.contains("GET") || line.contains("/bad-request"), "nothing made up: " + line);
    }

    @Test
    void theCombinedFormatIsNginxs() {
        String line = log("combined", Map.of()).format(session(null), "/a b", 2_000_000L, null, null);
        assertTrue(line.matches("127\\.0\\.0\\.1 - - \\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000\\] "
                + "\"POST /a b HTTP/1\\.1\" 502 34 \"-\" \"curl/8\\.5 \\\\x22quoted\\\\x22\""), line);
    }

    @Test
    void aTemplateReadsAnyVariableAndHeader() {
        AccessLog log = log("template", Map.of("template",
                "$remote_addr $request_method ${request_uri}! st=$status t=$request_time up=$upstream_addr"
                        + " us=$upstream_status uct=$upstream_connect_time urt=$upstream_response_time g=$upstream_group"
                        + " tenant=$http_x_tenant none=$http_x_missing $$"));
        String line = log.format(session(null), "/p", 3_000_000L, tries(), null);
        assertEquals("127.0.0.1 POST /p! st=502 t=0.002 up=10.0.0.6:8080, 10.0.0.7:8080 us=-, 502 uct=-, 0.000"
                + " urt=0.001, 0.003 g=shop tenant=t-42 none=- $", line);
    }

    @Test
    void aBadTemplateIsRefusedWithItsKeyAndReason() {
        InvalidConfigException unknown = assertThrows(InvalidConfigException.class,
                () -> log("template", Map.of("template", "$remote_addr $upstream_adr")));
        assertTrue(unknown.getMessage().contains("access_log.template") && unknown.getMessage().contains("$upstream_adr")
                && unknown.getMessage().contains("$upstream_addr"), unknown.getMessage());
        InvalidConfigException missing = assertThrows(InvalidConfigException.class, () -> log("template", Map.of()));
        assertTrue(missing.getMessage().contains("access_log.template"), missing.getMessage());
        InvalidConfigException stray = assertThrows(InvalidConfigException.class,
                () -> log("text", Map.of("template", "$status")));
        assertTrue(stray.getMessage().contains("format: template"), stray.getMessage());
        InvalidConfigException open = assertThrows(InvalidConfigException.class,
                () -> log("template", Map.of("template", "${status")));
        assertTrue(open.getMessage().contains("not closed"), open.getMessage());
    }

    @Test
    void timesHaveThreeDecimals() {
        assertEquals("0.000", millis(0));
        assertEquals("0.007", millis(7_000));
        assertEquals("12.050", millis(12_050_000));
        assertEquals("1500.000", millis(1_500_000_000L));
        assertEquals("1.500", seconds(1_500_000_000L));
        assertEquals("0.000", seconds(999_999L));
        assertEquals("0.099", seconds(99_999_999L));
        assertEquals("0.000", millis(-5), "a clock that stepped back is no negative time");
    }

    private static String millis(long nanos) {
        StringBuilder sb = new StringBuilder();
        Values.millis(sb, nanos);
        return sb.toString();
    }

    private static String seconds(long nanos) {
        StringBuilder sb = new StringBuilder();
        Values.seconds(sb, nanos);
        return sb.toString();
    }
}
