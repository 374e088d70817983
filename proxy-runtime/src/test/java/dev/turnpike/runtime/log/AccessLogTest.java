package dev.turnpike.runtime.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.RequestHead;
import dev.turnpike.api.Session;
import dev.turnpike.runtime.config.AccessLogSettings;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The line formats, field by field (the logger path is covered by ObservabilityTest). */
class AccessLogTest {

    private static Session session(String error) {
        Session s = mock(Session.class);
        RequestHead r = mock(RequestHead.class);
        when(r.method()).thenReturn("POST");
        when(s.request()).thenReturn(r);
        when(s.clientAddress()).thenReturn(new InetSocketAddress("127.0.0.1", 5555));
        when(s.status()).thenReturn(502);
        when(s.startNanos()).thenReturn(1_000_000L);
        when(s.requestBodyBytes()).thenReturn(12L);
        when(s.responseBodyBytes()).thenReturn(34L);
        when(s.peer()).thenReturn(Peer.of("10.0.0.7", 8080));
        when(s.requestId()).thenReturn("abc-1");
        when(s.error()).thenReturn(error == null ? null : ProxyError.of(ErrorKind.UPSTREAM_RESET, error, null));
        return s;
    }

    @Test
    void textLineQuotesOnlyWhatNeedsIt() {
        AccessLog log = new AccessLog(new AccessLogSettings(true, "text", null, 1 << 20, 1));
        String line = log.format(session("backend said \"no\""), "/a?b=c", 3_500_000L);
        assertTrue(line.startsWith("ts=20"), line);
        assertTrue(line.contains(" client=127.0.0.1:5555 method=POST path=/a?b=c status=502 duration_ms=2.500 "
                + "bytes_in=12 bytes_out=34 upstream=10.0.0.7:8080 request_id=abc-1 responded_by=- "
                + "error=\"upstream_reset: backend said \\\"no\\\"\""), line);
    }

    @Test
    void jsonLineIsOneObjectWithNullsForAbsentFields() {
        AccessLog log = new AccessLog(new AccessLogSettings(true, "json", null, 1 << 20, 1));
        String line = log.format(session(null), "/x\"y", 1_000_000L + 1_234_567L);
        assertTrue(line.startsWith("{\"ts\":\"20") && line.endsWith("}"), line);
        assertTrue(line.contains("\"client\":\"127.0.0.1:5555\",\"method\":\"POST\",\"path\":\"/x\\\"y\",\"status\":502,"
                + "\"duration_ms\":1.234,\"bytes_in\":12,\"bytes_out\":34,\"upstream\":\"10.0.0.7:8080\","
                + "\"request_id\":\"abc-1\",\"responded_by\":null,\"error\":null"), line);
        assertEquals(1, line.lines().count());
    }

    @Test
    void millisecondsKeepThreeDecimals() {
        assertEquals("0.000", AccessLog.millis(0));
        assertEquals("0.007", AccessLog.millis(7_000));
        assertEquals("12.050", AccessLog.millis(12_050_000));
        assertEquals("1500.000", AccessLog.millis(1_500_000_000L));
    }
}
