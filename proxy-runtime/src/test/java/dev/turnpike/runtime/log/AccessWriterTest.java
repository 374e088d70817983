package dev.turnpike.runtime.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.turnpike.api.Headers;
import dev.turnpike.api.RequestHead;
import dev.turnpike.api.Session;
import dev.turnpike.runtime.config.AccessLogSettings;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The writer thread: end order whatever the queueing order, WARN lines in place, drops counted. */
class AccessWriterTest {

    private static Session session(String uri, int status) {
        Session s = mock(Session.class);
        RequestHead r = mock(RequestHead.class);
        when(r.headers()).thenReturn(mock(Headers.class));
        when(r.method()).thenReturn("GET");
        when(r.version()).thenReturn("HTTP/1.1");
        when(s.request()).thenReturn(r);
        when(s.clientAddress()).thenReturn(new InetSocketAddress("127.0.0.1", 1));
        when(s.status()).thenReturn(status);
        return s;
    }

    /** Lines (and the level of the call that carried them) as the sink got them. */
    static final class Captured implements AccessWriter.Sink {
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        volatile CountDownLatch gate;

        @Override
        public void info(String batch) {
            await();
            for (String l : batch.split("\n")) {
                lines.add("INFO " + l);
            }
        }

        @Override
        public void warn(String line) {
            await();
            lines.add("WARN " + line);
        }

        private void await() {
            CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static AccessLogFormat template() {
        return AccessLogFormat.of(AccessLogSettings.read(dev.turnpike.api.config.ConfigSection.of("access_log",
                java.util.Map.of("format", "template", "template", "$request_uri $status"))));
    }

    private static AccessEntry entry(String uri, int status, long endNanos) {
        return AccessEntry.of(session(uri, status), uri, endNanos, null, null, List.of());
    }

    @Test
    void linesLeaveInTheOrderTheirExchangesEndedNotTheOrderTheyWereQueued() {
        Captured sink = new Captured();
        AccessWriter w = new AccessWriter(template(), sink);
        Session s3 = session("/3", 200);
        Session s2 = session("/2", 429);
        Session s1 = session("/1", 200);
        AccessEntry.of(s1, "/1", 0, null, null, List.of()); // the mocks' first calls are slow; not timed below
        // Queued in the reverse of their end, as loops that ended first but queued last would.
        long now = System.nanoTime();
        w.offer(AccessEntry.of(s3, "/3", now - 1_000_000, null, null, List.of()));
        w.offer(AccessEntry.of(s2, "/2", now - 2_000_000, null, null, List.of()));
        w.offer(AccessEntry.of(s1, "/1", now - 3_000_000, null, null, List.of()));
        boolean inTime = System.nanoTime() - (now - 1_000_000) < TimeUnit.MILLISECONDS.toNanos(AccessWriter.HOLD_MILLIS);
        w.close();
        org.junit.jupiter.api.Assumptions.assumeTrue(inTime,
                "this thread stalled past the writer's hold-back while queueing; the order is not promised then");
        assertEquals(List.of("INFO /1 200", "WARN /2 429", "INFO /3 200"), sink.lines);
    }

    @Test
    void aWriterFarBehindDropsAndCountsRatherThanBlockTheCaller() throws Exception {
        Captured sink = new Captured();
        sink.gate = new CountDownLatch(1);
        AccessWriter w = new AccessWriter(template(), sink);
        long old = System.nanoTime() - 1_000_000_000L; // long past the hold-back: written at once
        AccessEntry e = entry("/x", 200, old);
        w.offer(e);
        int offered = 1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (w.dropped() == 0 && System.nanoTime() < deadline) {
            w.offer(e);
            offered++;
        }
        assertTrue(w.dropped() > 0, "the writer is stuck in the sink: the queue fills and drops");
        sink.gate.countDown();
        w.close();
        assertEquals(offered, sink.lines.size() + w.dropped(), "every entry is written or counted as dropped");
        assertTrue(sink.lines.size() >= AccessWriter.QUEUE_CAPACITY, "what was queued is written: " + sink.lines.size());
    }
}
