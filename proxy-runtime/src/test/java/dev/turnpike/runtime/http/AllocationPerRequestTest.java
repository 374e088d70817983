package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import io.netty.util.ResourceLeakDetector;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A guard on the request path's garbage: the bytes the proxy's one event loop allocates per
 * keep-alive GET, measured with {@code ThreadMXBean.getThreadAllocatedBytes} on that thread over a
 * fixed number of requests after a warm-up. The bound is generous (a little over twice what the path
 * allocates today) and counts bytes, not time: a change that doubles what each request allocates
 * fails here, whatever the machine's speed.
 *
 * <p>Netty's leak detector is off while it measures: at the suite's paranoid level it records a
 * stack trace for every buffer, and those records would be most of what is counted. Every other
 * test still runs with it.
 */
@Timeout(120)
class AllocationPerRequestTest {

    /** Bytes per request the path may allocate on its loop (3.1 KB measured when this was written). */
    static final long BOUND = 7 * 1024;
    private static final int WARM_UP = 3_000;
    private static final int MEASURED = 5_000;

    @Test
    void aKeepAliveGetAllocatesNoMoreThanTheBound() throws Exception {
        ResourceLeakDetector.Level suite = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        try {
            measure();
        } finally {
            ResourceLeakDetector.setLevel(suite);
        }
    }

    private static void measure() throws Exception {
        try (TestBackend backend = new TestBackend("b")) {
            int port = backend.start();
            try (InJvmProxy proxy = InJvmProxy.builder().workers(1).plugin("route", new Route(port)).start();
                 Socket s = RawHttp.connect(proxy.port(), Duration.ofSeconds(20))) {
                InputStream in = new BufferedInputStream(s.getInputStream());
                requests(s, in, WARM_UP);
                Thread loop = loopThread();
                assertNotNull(loop, "the proxy's event loop thread");
                com.sun.management.ThreadMXBean threads =
                        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                long before = threads.getThreadAllocatedBytes(loop.getId());
                requests(s, in, MEASURED);
                long perRequest = (threads.getThreadAllocatedBytes(loop.getId()) - before) / MEASURED;
                System.out.println("allocated on the event loop per keep-alive GET: " + perRequest + " bytes");
                assertTrue(perRequest > 0, "the measure works");
                assertTrue(perRequest <= BOUND, perRequest + " bytes per request, more than the bound of " + BOUND);
            }
        }
    }

    private static void requests(Socket s, InputStream in, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            RawHttp.send(s, "GET /name HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Response r = RawHttp.readResponse(in);
            assertEquals(200, r.status());
        }
    }

    private static Thread loopThread() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("turnpike-loop")) {
                return t;
            }
        }
        return null;
    }
}
