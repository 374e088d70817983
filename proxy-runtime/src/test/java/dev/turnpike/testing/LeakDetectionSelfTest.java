package dev.turnpike.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Shows that a leaked buffer is caught, without letting the deliberate leaks fail the suite. */
class LeakDetectionSelfTest {

    @Test
    void runsAtParanoidLevel() {
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel());
    }

    @Test
    void aLeakedBufferIsReportedWithItsHint() {
        LeakDetection.assertNoLeaks(); // someone else's leak must not be mistaken for ours
        String marker = LeakDetection.DELIBERATE + UUID.randomUUID();
        leak(ByteBufAllocator.DEFAULT.buffer(64), marker);

        List<String> caught = awaitReports(marker);

        assertEquals(1, caught.size(), "reports for " + marker);
        assertTrue(caught.get(0).contains("LEAK: ByteBuf.release() was not called"), caught.get(0));
        assertTrue(caught.get(0).contains(getClass().getSimpleName()), "creation record names this test: " + caught.get(0));
        assertTrue(LeakDetection.leaks().stream().noneMatch(r -> r.contains(marker)), "drained");
    }

    @Test
    void assertNoLeaksFailsWithTheReportThenClears() {
        LeakDetection.assertNoLeaks();
        String marker = LeakDetection.DELIBERATE + UUID.randomUUID();
        leak(Unpooled.directBuffer(32), marker);
        awaitRecorded(marker);

        AssertionError failure = assertThrows(AssertionError.class, LeakDetection::assertNoLeaks);

        assertTrue(failure.getMessage().contains(marker), failure.getMessage());
        LeakDetection.assertNoLeaks(); // reported once, not again
    }

    @Test
    void releasedBuffersAreNotReported() {
        LeakDetection.assertNoLeaks();
        for (int i = 0; i < 100; i++) {
            ByteBuf buf = ByteBufAllocator.DEFAULT.buffer(128).writeInt(i);
            buf.touch("released").release();
        }
        LeakDetection.collect();
        assertTrue(LeakDetection.leaks().isEmpty(), () -> String.join("\n", LeakDetection.leaks()));
    }

    /** In a method of its own so no local of the caller keeps the buffer reachable. */
    private static void leak(ByteBuf buf, String marker) {
        buf.writeLong(42).touch(marker);
    }

    private static List<String> awaitReports(String marker) {
        awaitRecorded(marker);
        return LeakDetection.drainLeaks(r -> r.contains(marker));
    }

    private static void awaitRecorded(String marker) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (LeakDetection.leaks().stream().noneMatch(r -> r.contains(marker))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the deliberate leak " + marker + " was not reported within 20 s");
            }
            LeakDetection.collect();
        }
    }
}
