package dev.turnpike.runtime.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnpike.api.HostPort;
import dev.turnpike.runtime.config.ServerTlsSettings;
import dev.turnpike.runtime.config.ServerTlsSettings.CertificateFiles;
import dev.turnpike.runtime.config.ServerTlsSettings.ClientAuthMode;
import dev.turnpike.testing.TestPki;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** SNI selection within one generation: exact name, one-label wildcard, then the default certificate. */
class ServerContextsTest {

    private static final TestPki.Authority CA = TestPki.ca("Contexts CA");
    /** 0: the usual default. */
    private static final TestPki.Issued DEFAULT = CA.issue(TestPki.server("default.test"));
    /** 1: an exact name and a wildcard. */
    private static final TestPki.Issued A = CA.issue(TestPki.server("a.test", "*.wild.test"));
    /** 2: repeats 1's names (1 wins them) and has its own. */
    private static final TestPki.Issued B = CA.issue(TestPki.server("b.test", "a.test", "*.wild.test", "Upper.Test"));

    @TempDir
    Path dir;

    private final List<ServerContexts> built = new ArrayList<>();

    @AfterEach
    void release() {
        built.forEach(ServerContexts::release);
    }

    private ServerContexts build(SslProvider provider, int defaultIndex) throws Exception {
        if (provider != SslProvider.JDK) {
            assumeTrue(OpenSsl.isAvailable(), "OpenSSL not available: " + OpenSsl.unavailabilityCause());
        }
        List<CertificateFiles> files = new ArrayList<>();
        List<CertificatePair> pairs = new ArrayList<>();
        TestPki.Issued[] all = {DEFAULT, A, B};
        for (int i = 0; i < all.length; i++) {
            TestPki.Files f = all[i].writeTo(dir, "c" + i);
            CertificateFiles cf = new CertificateFiles(f.cert(), f.key());
            files.add(cf);
            pairs.add(CertificatePair.read(cf, Instant.now()));
        }
        ServerTlsSettings settings = new ServerTlsSettings(new HostPort("127.0.0.1", 8443), files, defaultIndex,
                List.of("TLSv1.2", "TLSv1.3"), ClientAuthMode.NONE, null, Duration.ofSeconds(10));
        ServerContexts contexts = ServerContexts.build(settings, pairs, List.of(), provider);
        built.add(contexts);
        return contexts;
    }

    private static SslContext ctx(ServerContexts c, int i) {
        return c.contexts().get(i);
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void anExactNameSelectsItsCertificateAndTheFirstToListANameWinsIt(SslProvider provider) throws Exception {
        ServerContexts c = build(provider, 0);
        assertEquals(3, c.contexts().size());
        assertSame(ctx(c, 1), c.select("a.test"));
        assertSame(ctx(c, 2), c.select("b.test"));
        assertSame(ctx(c, 0), c.select("default.test"));
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void selectionIgnoresCase(SslProvider provider) throws Exception {
        ServerContexts c = build(provider, 0);
        assertSame(ctx(c, 1), c.select("A.TEST"));
        assertSame(ctx(c, 1), c.select("X.Wild.TEST"));
        assertSame(ctx(c, 2), c.select("upper.test"), "the certificate's names are lower-cased too");
        assertSame(ctx(c, 2), c.select("UPPER.TEST"));
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void aWildcardCoversExactlyOneLabel(SslProvider provider) throws Exception {
        ServerContexts c = build(provider, 0);
        assertSame(ctx(c, 1), c.select("a.wild.test"));
        assertSame(ctx(c, 1), c.select("x-1.wild.test"));
        assertSame(ctx(c, 0), c.select("wild.test"), "the wildcard does not cover the bare domain");
        assertSame(ctx(c, 0), c.select("x.y.wild.test"), "nor two labels");
        assertSame(ctx(c, 0), c.select(".wild.test"), "nor an empty label");
        assertSame(ctx(c, 0), c.select("*.wild.test.other"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"unknown.test", "test", "localhost", "default.test.evil"})
    void anUnknownNameGetsTheDefault(String name) throws Exception {
        ServerContexts c = build(SslProvider.JDK, 0);
        assertSame(ctx(c, 0), c.select(name));
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL_REFCNT"})
    void noNameGetsTheDefault(SslProvider provider) throws Exception {
        ServerContexts c = build(provider, 0);
        assertSame(ctx(c, 0), c.select(null));
        assertSame(ctx(c, 0), c.select(""));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void theDefaultCertificateIndexIsHonoured(int index) throws Exception {
        ServerContexts c = build(SslProvider.JDK, index);
        assertSame(ctx(c, index), c.select(null));
        assertSame(ctx(c, index), c.select(""));
        assertSame(ctx(c, index), c.select("unknown.test"));
        assertSame(ctx(c, index), c.select("x.y.wild.test"));
        // Names still go to their own certificate whatever the default.
        assertSame(ctx(c, 1), c.select("a.test"));
        assertSame(ctx(c, 0), c.select("default.test"));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2})
    void pairsAndExpiryByNameFollowTheFileOrder(int index) throws Exception {
        ServerContexts c = build(SslProvider.JDK, index);
        assertEquals(List.of(DEFAULT.certificate(), A.certificate(), B.certificate()),
                c.pairs().stream().map(CertificatePair::leaf).toList());
        Map<String, Instant> expiry = c.expiryByName();
        assertEquals(List.of("default.test", "a.test", "*.wild.test", "b.test", "upper.test"), List.copyOf(expiry.keySet()));
        assertEquals(A.certificate().getNotAfter().toInstant(), expiry.get("a.test"), "the first to list a name");
        assertEquals(B.certificate().getNotAfter().toInstant(), expiry.get("b.test"));
    }
}
