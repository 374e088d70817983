package dev.turnpike.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.testing.DeterministicBytes;
import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.TestBackend;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that pauses in the middle of a 20 MiB download, through the packaged proxy with the
 * load-balancer and its passive health on: the pause is the client's business. With a short
 * backend read timeout the download still arrives whole; with a short {@code server.send_timeout}
 * it is cut and logged as the client's timeout, and the backend stays in rotation however many
 * such clients come.
 */
class SlowClientIT {

    private static final int SIZE = 20 << 20;
    private static final long PAUSE_MILLIS = 3_000;

    @TempDir
    static Path dir;
    static TestBackend backend;

    @BeforeAll
    static void start() {
        backend = new TestBackend("b");
        backend.start();
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    /** What arrived of a download: how many bytes, and their SHA-256. */
    private record Download(long bytes, String sha256) {
    }

    /** Downloads with a pause after 200 KiB. */
    private static Download pausedDownload(ProxyProcess proxy) throws IOException, InterruptedException {
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(32 * 1024);
            s.setSoTimeout(60_000);
            s.connect(new InetSocketAddress("127.0.0.1", proxy.port()));
            s.getOutputStream().write(("GET /bytes/" + SIZE + " HTTP/1.1\r\nHost: t\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = new BufferedInputStream(s.getInputStream());
            assertEquals(200, RawHttp.readResponse(in, true).status());
            MessageDigest digest = DeterministicBytes.sha256();
            long got = RawHttp.digestUpTo(in, 200 * 1024, digest);
            Thread.sleep(PAUSE_MILLIS);
            got += RawHttp.digestUpTo(in, SIZE - got, digest);
            return new Download(got, HexFormat.of().formatHex(digest.digest()));
        }
    }

    private static int status(ProxyProcess proxy, String path) throws IOException {
        try (Socket s = RawHttp.connect(proxy.port(), Duration.ofSeconds(30))) {
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return RawHttp.readResponse(new BufferedInputStream(s.getInputStream())).status();
        }
    }

    @Test
    void aPausedDownloadArrivesWholeWhateverTheBackendReadTimeout() throws Exception {
        String expected = DeterministicBytes.sha256Hex(DeterministicBytes.DEFAULT_SEED, SIZE);
        try (ProxyProcess proxy = ProxyProcess.builder(dir.resolve("whole")).backends(backend)
                .extraYaml("upstream:\n  read_timeout: 1s\n").start()) {
            for (int i = 0; i < 3; i++) { // three: passive health would have ejected the backend by now
                Download r = pausedDownload(proxy);
                assertEquals(SIZE, r.bytes(), "download " + i + " arrives whole");
                assertEquals(expected, r.sha256());
            }
            assertEquals(200, status(proxy, "/name"));
            assertTrue(!proxy.log().contains("upstream_timeout"), proxy.log());
        }
    }

    @Test
    void pastTheSendTimeoutTheDownloadIsCutAsTheClientsTimeout() throws Exception {
        try (ProxyProcess proxy = ProxyProcess.builder(dir.resolve("cut")).backends(backend)
                .serverYaml("  send_timeout: 1s\n").start()) {
            for (int i = 0; i < 3; i++) {
                Download r = pausedDownload(proxy);
                assertTrue(r.bytes() < SIZE, "download " + i + " is cut: " + r.bytes());
            }
            assertEquals(200, status(proxy, "/name"), "the backend was never blamed, so never ejected");
            String log = proxy.log();
            List<String> cut = log.lines().filter(l -> l.contains("path=/bytes/")).toList();
            assertEquals(3, cut.size(), log);
            for (String line : cut) {
                assertTrue(line.contains("error=client_timeout") && line.contains("reason=\"client took no response bytes for 1000 ms"), line);
            }
            assertTrue(!log.contains("upstream_timeout") && !log.contains("ejected") && !log.contains("DOWN"), log);
        }
    }
}
