package dev.turnpike.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

/** A buffer leak reported by Netty while the proxy runs fails its stop. */
class LeakWatchTest {

    @Test
    void aLeakReportedWhileTheProxyRanFailsTheStop() {
        TurnpikeExtension proxy = TurnpikeExtension.builder().build().start();
        ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        try {
            leakOneBuffer();
            // Netty reports a leak when a later allocation finds the collected, unreleased buffer.
            Await.until("Netty to report the leak", () -> {
                System.gc();
                PooledByteBufAllocator.DEFAULT.buffer(16).release();
                return reported(proxy);
            });
        } finally {
            ResourceLeakDetector.setLevel(before);
        }
        AssertionError e = assertThrows(AssertionError.class, proxy::close);
        assertTrue(e.getMessage().contains("leak"), e.getMessage());
    }

    @Test
    void aCleanRunStopsQuietly() {
        TurnpikeExtension proxy = TurnpikeExtension.builder().build().start();
        proxy.client().get("/").assertStatus(502); // no plugin chooses a backend
        proxy.close();
    }

    private static void leakOneBuffer() {
        ByteBuf leaked = PooledByteBufAllocator.DEFAULT.buffer(16);
        leaked.writeByte(1); // dropped without release()
    }

    /** Whether the proxy's leak watch has seen a report, asked without stopping it. */
    private static boolean reported(TurnpikeExtension proxy) {
        try {
            proxy.assertNoLeakReported();
            return false;
        } catch (AssertionError e) {
            return true;
        }
    }
}
