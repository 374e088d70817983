package dev.turnpike.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Peer;
import dev.turnpike.api.health.ProbeResult;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.tls.UpstreamTls;
import dev.turnpike.runtime.transport.EventLoops;
import dev.turnpike.testing.TestPki;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * REVIEW: UpstreamTls builds every context on one thread with blocking reads and no bound; a ca
 * file that blocks (a FIFO here; a hung NFS mount in life) stalls that thread, so (a) a TCP health
 * probe over TLS with a 300 ms timeout never completes (its timer is only armed once the context is
 * there), and (b) the context of every other peer waits behind it.
 */
class ReviewStuckFilesThreadTest {

    @TempDir
    Path dir;

    @Test
    void aProbeIsBoundedByItsTimeoutEvenWhileItsContextIsBeingBuilt() throws Exception {
        Path fifo = dir.resolve("ca.pem");
        new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor();
        Path goodCa = TestPki.ca("Good CA").writeTo(dir.resolve("good.pem"));
        EventLoops loops = EventLoops.start(1);
        UpstreamTls tls = new UpstreamTls(SslProvider.JDK, new ProxyMetrics().tls());
        try {
            HealthProber prober = new HealthProber(loops, tls);
            CompletableFuture<ProbeResult> stuck = prober.tcp(Peer.builder("127.0.0.1", 9).tls(true).ca(fifo).build(),
                    Duration.ofMillis(300)).toCompletableFuture();
            CompletableFuture<ProbeResult> other = prober.tcp(Peer.builder("127.0.0.1", 9).tls(true).ca(goodCa).build(),
                    Duration.ofMillis(300)).toCompletableFuture();
            Thread.sleep(2000);
            System.out.println("REVIEW after 2 s: probe with the stuck ca done=" + stuck.isDone() + ", probe of another peer done=" + other.isDone());
            assertTrue(stuck.isDone() && other.isDone(), "300 ms probes must be over after 2 s");
        } finally {
            new ProcessBuilder("sh", "-c", "echo > " + fifo).start().waitFor(5, TimeUnit.SECONDS);
            tls.close();
            loops.close();
        }
    }
}
