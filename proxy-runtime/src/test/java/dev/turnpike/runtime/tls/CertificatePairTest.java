package dev.turnpike.runtime.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.config.ServerTlsSettings.CertificateFiles;
import dev.turnpike.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A certificate and its key read and checked together: names, proof of possession, validity, expiry warning. */
class CertificatePairTest {

    private static final TestPki.Authority CA = TestPki.ca("Pair CA");

    @TempDir
    Path dir;

    private CertificateFiles write(TestPki.Issued issued, String name) {
        TestPki.Files f = issued.writeTo(dir, name);
        return new CertificateFiles(f.cert(), f.key());
    }

    private static TlsFileException refused(CertificateFiles files, Instant now) {
        return assertThrows(TlsFileException.class, () -> CertificatePair.read(files, now));
    }

    @Test
    void anEcPairLoadsWithItsNamesLowerCasedWildcardsKeptAndIpAddresses() throws Exception {
        TestPki.Issued issued = CA.issue(TestPki.server("A.Test", "*.Wild.Test", "127.0.0.1", "::1"));
        CertificateFiles files = write(issued, "ec");
        CertificatePair pair = CertificatePair.read(files, Instant.now());
        assertEquals(files, pair.files());
        assertEquals(List.of(issued.certificate()), pair.chain());
        assertEquals(issued.certificate(), pair.leaf());
        assertEquals(issued.key(), pair.key());
        assertEquals(List.of("a.test", "*.wild.test", "127.0.0.1", "0:0:0:0:0:0:0:1"), pair.names());
        assertEquals("a.test", pair.label());
        assertEquals(issued.certificate().getNotAfter().toInstant(), pair.notAfter());
    }

    @Test
    void anRsaPairLoads() throws Exception {
        TestPki.Issued issued = CA.issue(TestPki.server("rsa.test").rsa());
        CertificatePair pair = CertificatePair.read(write(issued, "rsa"), Instant.now());
        assertEquals("RSA", pair.key().getAlgorithm());
        assertEquals(List.of("rsa.test"), pair.names());
    }

    @Test
    void aChainKeepsItsOrderAndTheLeafIsFirst() throws Exception {
        TestPki.Issued issued = CA.issue(TestPki.server("chain.test"));
        CertificateFiles files = write(issued, "chain");
        Files.writeString(files.cert(), Files.readString(files.cert()) + Files.readString(CA.writeTo(dir.resolve("ca.pem"))));
        CertificatePair pair = CertificatePair.read(files, Instant.now());
        assertEquals(List.of(issued.certificate(), CA.certificate()), pair.chain());
        assertEquals(issued.certificate(), pair.leaf());
        assertThrows(UnsupportedOperationException.class, () -> pair.chain().add(CA.certificate()));
        assertThrows(UnsupportedOperationException.class, () -> pair.names().add("x"));
    }

    @Test
    void withoutAlternativeNamesTheLabelIsTheSubject() throws Exception {
        CertificatePair pair = CertificatePair.read(write(CA.issue(TestPki.client("no-san")), "nosan"), Instant.now());
        assertEquals(List.of(), pair.names());
        assertTrue(pair.label().contains("CN=no-san"), pair.label());
    }

    @Test
    void theKeyOfAnotherCertificateIsRefusedNamingTheKeyFile() throws Exception {
        CertificateFiles a = write(CA.issue(TestPki.server("a.test")), "a");
        CertificateFiles b = write(CA.issue(TestPki.server("b.test")), "b");
        CertificateFiles mixed = new CertificateFiles(a.cert(), b.key());
        TlsFileException e = refused(mixed, Instant.now());
        assertEquals(b.key(), e.file());
        assertTrue(e.reason().contains("does not belong to the certificate in " + a.cert()), e.reason());
        assertTrue(e.reason().contains("CN=a.test"), e.reason());
    }

    @Test
    void anRsaKeyForAnEcCertificateIsRefusedNamingTheKeyFile() throws Exception {
        CertificateFiles ec = write(CA.issue(TestPki.server("ec.test")), "ec");
        CertificateFiles rsa = write(CA.issue(TestPki.server("rsa.test").rsa()), "rsa");
        TlsFileException e = refused(new CertificateFiles(ec.cert(), rsa.key()), Instant.now());
        assertEquals(rsa.key(), e.file());
        assertTrue(e.reason().contains("does not belong"), e.reason());
        TlsFileException back = refused(new CertificateFiles(rsa.cert(), ec.key()), Instant.now());
        assertEquals(ec.key(), back.file());
        assertTrue(back.reason().contains("does not belong"), back.reason());
    }

    @Test
    void anExpiredCertificateIsRefusedNamingTheCertFile() throws Exception {
        Instant now = Instant.now();
        CertificateFiles files = write(CA.issue(TestPki.server("old.test")
                .validity(now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)))), "old");
        TlsFileException e = refused(files, now);
        assertEquals(files.cert(), e.file());
        assertTrue(e.reason().startsWith("the certificate expired on "), e.reason());
    }

    @Test
    void aCertificateNotYetValidIsRefusedNamingTheCertFile() throws Exception {
        Instant now = Instant.now();
        CertificateFiles files = write(CA.issue(TestPki.server("future.test")
                .validity(now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)))), "future");
        TlsFileException e = refused(files, now);
        assertEquals(files.cert(), e.file());
        assertTrue(e.reason().startsWith("the certificate is not valid before "), e.reason());
    }

    @Test
    void validityIsCheckedAtTheGivenInstant() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        CertificateFiles files = write(CA.issue(TestPki.server("window.test")
                .validity(now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(1)))), "window");
        CertificatePair.read(files, now);
        assertEquals(files.cert(), refused(files, now.plus(Duration.ofDays(2))).file());
        assertEquals(files.cert(), refused(files, now.minus(Duration.ofDays(2))).file());
    }

    @Test
    void theFileAtFaultIsNamedWhenOneOfThePairIsMissing() throws Exception {
        CertificateFiles files = write(CA.issue(TestPki.server("a.test")), "a");
        Path missing = dir.resolve("missing.key");
        TlsFileException noKey = refused(new CertificateFiles(files.cert(), missing), Instant.now());
        assertEquals(missing, noKey.file());
        assertEquals("no such file", noKey.reason());
        Path missingCert = dir.resolve("missing.pem");
        TlsFileException noCert = refused(new CertificateFiles(missingCert, files.key()), Instant.now());
        assertEquals(missingCert, noCert.file());
    }

    @Test
    void expiresSoonWithinFourteenDays() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        CertificatePair soon = CertificatePair.read(write(CA.issue(TestPki.server("soon.test")
                .validity(now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(14)).minus(Duration.ofMinutes(1)))), "soon"), now);
        CertificatePair later = CertificatePair.read(write(CA.issue(TestPki.server("later.test")
                .validity(now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(14)).plus(Duration.ofMinutes(1)))), "later"), now);
        assertEquals(Duration.ofDays(14), CertificatePair.EXPIRY_WARNING);
        assertTrue(soon.expiresSoon(now));
        assertFalse(later.expiresSoon(now));
        assertTrue(later.expiresSoon(now.plus(Duration.ofMinutes(2))));
    }
}
