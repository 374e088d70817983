package dev.turnpike.runtime.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnpike.api.HostPort;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.runtime.config.ServerTlsSettings;
import dev.turnpike.runtime.config.ServerTlsSettings.CertificateFiles;
import dev.turnpike.runtime.config.ServerTlsSettings.ClientAuthMode;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.testing.TestPki;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ReferenceCounted;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The listener's certificates: load refusals by key, reloads that swap or keep, file stamps, release. */
class ServerTlsTest {

    private static final TestPki.Authority CA = TestPki.ca("ServerTls CA");

    @TempDir
    Path dir;

    private final ProxyMetrics metrics = new ProxyMetrics();

    private static ServerTlsSettings settings(List<CertificateFiles> files, ClientAuthMode mode, Path clientCa) {
        return new ServerTlsSettings(new HostPort("127.0.0.1", 8443), files, 0, List.of("TLSv1.2", "TLSv1.3"), mode, clientCa,
                Duration.ofSeconds(10));
    }

    private static ServerTlsSettings settings(CertificateFiles... files) {
        return settings(List.of(files), ClientAuthMode.NONE, null);
    }

    private CertificateFiles write(TestPki.Issued issued, String name) {
        TestPki.Files f = issued.writeTo(dir, name);
        return new CertificateFiles(f.cert(), f.key());
    }

    private static void requireProvider(SslProvider provider) {
        if (provider != SslProvider.JDK) {
            assumeTrue(OpenSsl.isAvailable(), "OpenSSL not available: " + OpenSsl.unavailabilityCause());
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        // Not a timing assertion: the cap only turns a hang into a failure that says what never happened.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never happened: " + what);
            }
            Thread.sleep(5);
        }
    }

    private static int refCnt(SslContext context) {
        return ((ReferenceCounted) context).refCnt();
    }

    // ---- load ----------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void loadsAndServesByName(SslProvider provider) {
        requireProvider(provider);
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        CertificateFiles b = write(CA.issue(TestPki.server("b.test")), "b");
        ServerTlsSettings s = settings(a, b);
        try (ServerTls tls = ServerTls.load(s, provider, metrics)) {
            assertSame(s, tls.settings());
            assertSame(tls.current().contexts().get(1), tls.map("b.test"));
            assertSame(tls.current().contexts().get(0), tls.map("a.test"));
            assertSame(tls.current().contexts().get(0), tls.map(null));
            assertTrue(tls.current().contexts().get(0).isServer());
        }
    }

    @Test
    void aBadKeyIsRefusedWithItsConfigurationKey() {
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        CertificateFiles other = write(CA.issue(TestPki.server("other.test")), "other");
        CertificateFiles b = write(CA.issue(TestPki.server("b.test")), "b");
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> ServerTls.load(settings(new CertificateFiles(a.cert(), other.key()), b), SslProvider.JDK, metrics));
        assertEquals("server.tls.certificates[0].key", e.key());
        assertTrue(e.reason().startsWith(other.key() + ": this key does not belong"), e.reason());
    }

    @Test
    void aBadCertificateIsRefusedWithItsIndex() throws Exception {
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        Instant now = Instant.now();
        CertificateFiles old = write(CA.issue(TestPki.server("old.test").validity(now.minus(Duration.ofDays(9)),
                now.minus(Duration.ofDays(2)))), "old");
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> ServerTls.load(settings(a, old), SslProvider.JDK, metrics));
        assertEquals("server.tls.certificates[1].cert", e.key());
        assertTrue(e.reason().contains(old.cert() + ": the certificate expired on"), e.reason());

        Path missing = dir.resolve("missing.pem");
        InvalidConfigException m = assertThrows(InvalidConfigException.class,
                () -> ServerTls.load(settings(a, new CertificateFiles(missing, a.key())), SslProvider.JDK, metrics));
        assertEquals("server.tls.certificates[1].cert", m.key());
        assertTrue(m.reason().contains("no such file"), m.reason());
    }

    @Test
    void aBadClientCaIsRefusedWithItsKey() throws Exception {
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        Path notPem = Files.writeString(dir.resolve("clients.pem"), "nothing here");
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> ServerTls.load(settings(List.of(a), ClientAuthMode.REQUIRE, notPem), SslProvider.JDK, metrics));
        assertEquals("server.tls.client_auth.ca", e.key());
        assertTrue(e.reason().contains("holds no PEM certificate"), e.reason());
    }

    @Test
    void keyOfNamesEachFile() {
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        CertificateFiles b = write(CA.issue(TestPki.server("b.test")), "b");
        ServerTlsSettings s = settings(List.of(a, b), ClientAuthMode.OPTIONAL, dir.resolve("ca.pem"));
        assertEquals("server.tls.certificates[0].cert", ServerTls.keyOf(s, a.cert()));
        assertEquals("server.tls.certificates[0].key", ServerTls.keyOf(s, a.key()));
        assertEquals("server.tls.certificates[1].cert", ServerTls.keyOf(s, b.cert()));
        assertEquals("server.tls.certificates[1].key", ServerTls.keyOf(s, b.key()));
        assertEquals("server.tls.client_auth.ca", ServerTls.keyOf(s, dir.resolve("ca.pem")));
    }

    // ---- reload --------------------------------------------------------------------------------

    @Test
    void aGoodReplacementSwapsTheGeneration() throws Exception {
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        try (ServerTls tls = ServerTls.load(settings(a), SslProvider.JDK, metrics)) {
            ServerContexts first = tls.current();
            TestPki.Issued renewed = CA.issue(TestPki.server("a.test", "new.test"));
            write(renewed, "a");
            assertTrue(tls.reloadNow("test"));
            ServerContexts second = tls.current();
            assertNotSame(first, second);
            assertEquals(renewed.certificate(), second.pairs().get(0).leaf());
            assertSame(second.contexts().get(0), tls.map("new.test"));
        }
    }

    @Test
    void aBadReplacementKeepsTheGenerationInForce() throws Exception {
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        try (ServerTls tls = ServerTls.load(settings(a), SslProvider.JDK, metrics)) {
            ServerContexts first = tls.current();
            // A new certificate without its key: the pair does not match.
            Files.copy(CA.issue(TestPki.server("a.test")).writeTo(dir, "new").cert(), a.cert(), StandardCopyOption.REPLACE_EXISTING);
            assertFalse(tls.reloadNow("test"));
            assertSame(first, tls.current());
            // Half a file.
            write(CA.issue(TestPki.server("a.test")), "a");
            Files.writeString(a.key(), Files.readString(a.key()).substring(0, 100));
            assertFalse(tls.reloadNow("test"));
            assertSame(first, tls.current());
            // And fixed again.
            TestPki.Issued fixed = CA.issue(TestPki.server("a.test"));
            write(fixed, "a");
            assertTrue(tls.reloadNow("test"));
            assertEquals(fixed.certificate(), tls.current().pairs().get(0).leaf());
        }
    }

    @Test
    void reloadWithoutAWatcherRunsAtOnce() throws Exception {
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        try (ServerTls tls = ServerTls.load(settings(a), SslProvider.JDK, metrics)) {
            ServerContexts first = tls.current();
            write(CA.issue(TestPki.server("a.test")), "a");
            tls.reload("SIGHUP");
            assertNotSame(first, tls.current());
        }
    }

    @Test
    void theWatcherPicksUpChangedFiles() throws Exception {
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
        try (ServerTls tls = ServerTls.load(settings(a), SslProvider.JDK, metrics)) {
            tls.start(loops);
            ServerContexts first = tls.current();
            TestPki.Issued renewed = CA.issue(TestPki.server("a.test", "renewed.test"));
            write(renewed, "a");
            await(() -> tls.current() != first, "the watcher reloads the rewritten pair");
            assertEquals(renewed.certificate(), tls.current().pairs().get(0).leaf());
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void closedItReloadsNothing() throws Exception {
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        ServerTls tls = ServerTls.load(settings(a), SslProvider.JDK, metrics);
        tls.close();
        tls.close();
        write(CA.issue(TestPki.server("a.test")), "a");
        assertFalse(tls.reloadNow("after close"));
    }

    // ---- native contexts are released once drained ---------------------------------------------

    @Test
    void closeReleasesTheNativeContexts() {
        requireProvider(SslProvider.OPENSSL_REFCNT);
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        CertificateFiles b = write(CA.issue(TestPki.server("b.test").rsa()), "b");
        ServerTls tls = ServerTls.load(settings(a, b), SslProvider.OPENSSL_REFCNT, metrics);
        List<SslContext> contexts = tls.current().contexts();
        contexts.forEach(c -> assertEquals(1, refCnt(c)));
        tls.close();
        contexts.forEach(c -> assertEquals(0, refCnt(c)));
    }

    @Test
    void aRetiredNativeContextLivesWhileAnEngineHoldsItAndIsReleasedAfter() throws Exception {
        requireProvider(SslProvider.OPENSSL_REFCNT);
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
        SSLEngine engine = null;
        try (ServerTls tls = ServerTls.load(settings(a), SslProvider.OPENSSL_REFCNT, metrics)) {
            tls.start(loops);
            SslContext old = tls.current().contexts().get(0);
            engine = old.newEngine(ByteBufAllocator.DEFAULT);
            assertEquals(2, refCnt(old), "the generation's hold and the engine's");

            write(CA.issue(TestPki.server("a.test")), "a");
            assertTrue(tls.reloadNow("test"));
            SslContext second = tls.current().contexts().get(0);
            assertNotSame(old, second);
            await(() -> refCnt(old) == 1, "the retired generation lets go of its context once the loops passed the swap");
            assertEquals(1, refCnt(old), "the engine still holds it: a live connection keeps its context");
            assertTrue(ReferenceCountUtil.release(engine), "the engine's release frees the context");
            engine = null;
            assertEquals(0, refCnt(old));

            // A generation retired with no connections goes at once (after the loops).
            write(CA.issue(TestPki.server("a.test")), "a");
            assertTrue(tls.reloadNow("test"));
            await(() -> refCnt(second) == 0, "a drained generation is released");
            SslContext third = tls.current().contexts().get(0);
            assertEquals(1, refCnt(third));
            tls.close();
            assertEquals(0, refCnt(third));
        } finally {
            if (engine != null) {
                ReferenceCountUtil.release(engine);
            }
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aRefusedReloadKeepsTheNativeContextInForce() throws Exception {
        requireProvider(SslProvider.OPENSSL_REFCNT);
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        CertificateFiles b = write(CA.issue(TestPki.server("b.test")), "b");
        try (ServerTls tls = ServerTls.load(settings(a, b), SslProvider.OPENSSL_REFCNT, metrics)) {
            SslContext inForce = tls.current().contexts().get(0);
            Files.writeString(b.key(), "broken");
            assertFalse(tls.reloadNow("test"));
            assertSame(inForce, tls.current().contexts().get(0));
            assertEquals(1, refCnt(inForce));
        }
    }

    @Test
    void afterTheLoopsShutDownARetiredGenerationIsReleasedAtOnce() throws Exception {
        requireProvider(SslProvider.OPENSSL_REFCNT);
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        DefaultEventLoopGroup loops = new DefaultEventLoopGroup(1);
        try (ServerTls tls = ServerTls.load(settings(a), SslProvider.OPENSSL_REFCNT, metrics)) {
            tls.start(loops);
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            SslContext old = tls.current().contexts().get(0);
            write(CA.issue(TestPki.server("a.test")), "a");
            assertTrue(tls.reloadNow("test"));
            assertEquals(0, refCnt(old));
        }
    }

    // ---- file stamps ---------------------------------------------------------------------------

    @Test
    void stampsAreTheSameWhileNothingChanges() throws Exception {
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        List<Path> files = List.of(a.cert(), a.key());
        assertTrue(FileStamps.of(files).same(FileStamps.of(files)));
        assertFalse(FileStamps.of(files).same(null));
    }

    @Test
    void stampsDifferAfterARewrite() throws Exception {
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        List<Path> files = List.of(a.cert(), a.key());
        FileTime fixed = FileTime.from(Instant.parse("2024-01-01T00:00:00Z"));
        Files.setLastModifiedTime(a.cert(), fixed);
        FileStamps before = FileStamps.of(files);
        // Same size and content, only the time: still a change.
        Files.setLastModifiedTime(a.cert(), FileTime.from(fixed.toInstant().plusSeconds(1)));
        assertFalse(before.same(FileStamps.of(files)));
        // Same time, other size.
        Files.setLastModifiedTime(a.key(), fixed);
        FileStamps mid = FileStamps.of(files);
        Files.writeString(a.key(), Files.readString(a.key()) + "\n");
        Files.setLastModifiedTime(a.key(), fixed);
        assertFalse(mid.same(FileStamps.of(files)));
    }

    @Test
    void stampsDifferWhenAFileGoesOrComes() throws Exception {
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        List<Path> files = List.of(a.cert(), a.key());
        FileStamps present = FileStamps.of(files);
        Files.delete(a.key());
        FileStamps gone = FileStamps.of(files);
        assertFalse(present.same(gone));
        assertTrue(gone.stamps().get(1).endsWith("|missing"), gone.stamps().toString());
        assertTrue(gone.same(FileStamps.of(files)));
    }

    @Test
    void stampsDifferAfterASymlinkIsRePointed() throws Exception {
        // The Kubernetes secret mount: <dir>/tls.crt -> ..data/tls.crt, ..data -> ..2024_01_01; the swap re-points ..data.
        Path v1 = Files.createDirectory(dir.resolve("..v1"));
        Path v2 = Files.createDirectory(dir.resolve("..v2"));
        TestPki.Issued issued = CA.issue(TestPki.server("a.test"));
        issued.writeTo(v1, "tls");
        issued.writeTo(v2, "tls");
        FileTime t = FileTime.from(Instant.parse("2024-01-01T00:00:00Z"));
        for (Path d : List.of(v1, v2)) {
            Files.setLastModifiedTime(d.resolve("tls.pem"), t);
            Files.setLastModifiedTime(d.resolve("tls.key"), t);
        }
        Path data = Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
        Path cert = Files.createSymbolicLink(dir.resolve("tls.pem"), Path.of("..data", "tls.pem"));
        Path key = Files.createSymbolicLink(dir.resolve("tls.key"), Path.of("..data", "tls.key"));
        List<Path> files = List.of(cert, key);
        FileStamps before = FileStamps.of(files);
        assertTrue(before.same(FileStamps.of(files)));

        Path next = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
        Files.move(next, data, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        FileStamps after = FileStamps.of(files);
        assertFalse(before.same(after), "same bytes, same times, but the links now end elsewhere");
    }

    @Test
    void aSymlinkSwapIsReloaded() throws Exception {
        Path v1 = Files.createDirectory(dir.resolve("..v1"));
        Path v2 = Files.createDirectory(dir.resolve("..v2"));
        CA.issue(TestPki.server("a.test")).writeTo(v1, "tls");
        TestPki.Issued renewed = CA.issue(TestPki.server("a.test"));
        renewed.writeTo(v2, "tls");
        Path data = Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
        CertificateFiles files = new CertificateFiles(Files.createSymbolicLink(dir.resolve("tls.pem"), Path.of("..data", "tls.pem")),
                Files.createSymbolicLink(dir.resolve("tls.key"), Path.of("..data", "tls.key")));
        DefaultEventLoopGroup loops = new DefaultEventLoopGroup(1);
        try (ServerTls tls = ServerTls.load(settings(files), SslProvider.JDK, metrics)) {
            tls.start(loops);
            ServerContexts first = tls.current();
            Files.move(Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName()), data,
                    StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            await(() -> tls.current() != first, "the watcher reloads after the symlink swap");
            assertEquals(renewed.certificate(), tls.current().pairs().get(0).leaf());
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
