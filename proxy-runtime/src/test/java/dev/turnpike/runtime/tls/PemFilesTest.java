package dev.turnpike.runtime.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnpike.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading PEM certificates and PKCS#8 keys, and every refusal naming its file and reason. */
class PemFilesTest {

    private static final TestPki.Authority CA = TestPki.ca("Pem CA");
    private static final TestPki.Issued EC = CA.issue(TestPki.server("ec.test"));
    private static final TestPki.Issued RSA = CA.issue(TestPki.server("rsa.test").rsa());

    @TempDir
    Path dir;

    private static TlsFileException refusedCert(Path file) {
        return assertThrows(TlsFileException.class, () -> PemFiles.certificates(file));
    }

    private static TlsFileException refusedKey(Path file) {
        return assertThrows(TlsFileException.class, () -> PemFiles.privateKey(file));
    }

    private static void assertReason(TlsFileException e, Path file, String part) {
        assertEquals(file, e.file(), e.getMessage());
        assertTrue(e.reason().contains(part), "reason should contain '" + part + "': " + e.reason());
        assertEquals(file + ": " + e.reason(), e.getMessage());
    }

    private Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    @Test
    void readsACertificate() throws Exception {
        TestPki.Files f = EC.writeTo(dir, "ec");
        List<X509Certificate> chain = PemFiles.certificates(f.cert());
        assertEquals(List.of(EC.certificate()), chain);
    }

    @Test
    void readsAChainInFileOrderSkippingOtherBlocksAndText() throws Exception {
        TestPki.Files f = EC.writeTo(dir, "ec");
        Path ca = CA.writeTo(dir.resolve("ca.pem"));
        Path bundle = write("bundle.pem", "subject=CN=ec.test\n" + Files.readString(f.cert())
                + "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
                + "some comment\n" + Files.readString(ca));
        assertEquals(List.of(EC.certificate(), CA.certificate()), PemFiles.certificates(bundle));
    }

    @Test
    void readsEcAndRsaPkcs8Keys() throws Exception {
        PrivateKey ec = PemFiles.privateKey(EC.writeTo(dir, "ec").key());
        assertEquals("EC", ec.getAlgorithm());
        assertEquals(EC.key(), ec);
        PrivateKey rsa = PemFiles.privateKey(RSA.writeTo(dir, "rsa").key());
        assertEquals("RSA", rsa.getAlgorithm());
        assertEquals(RSA.key(), rsa);
    }

    @Test
    void findsTheKeyInACombinedFile() throws Exception {
        TestPki.Files f = EC.writeTo(dir, "ec");
        Path both = write("both.pem", Files.readString(f.cert()) + Files.readString(f.key()));
        assertEquals(EC.key(), PemFiles.privateKey(both));
        assertEquals(List.of(EC.certificate()), PemFiles.certificates(both));
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("nope.pem");
        assertReason(refusedCert(missing), missing, "no such file");
        assertReason(refusedKey(missing), missing, "no such file");
    }

    @Test
    void aDirectoryIsRefused() {
        assertReason(refusedCert(dir), dir, "is a directory");
        assertReason(refusedKey(dir), dir, "is a directory");
    }

    @Test
    void anUnreadableFileIsRefused() throws Exception {
        Path key = EC.writeTo(dir, "ec").key();
        assumeTrue(key.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
        Files.setPosixFilePermissions(key, java.util.Set.of());
        assumeFalse(Files.isReadable(key), "running as a user who reads anything (root)");
        assertReason(refusedKey(key), key, "permission denied");
    }

    @Test
    void textThatIsNotPemIsRefused() throws Exception {
        Path junk = write("junk.pem", "this is not a certificate\n");
        assertReason(refusedCert(junk), junk, "holds no PEM certificate");
        assertReason(refusedKey(junk), junk, "holds no PEM private key");
        Path empty = write("empty.pem", "");
        assertReason(refusedCert(empty), empty, "holds no PEM certificate");
    }

    @Test
    void aCertFileHoldingOnlyAKeyHoldsNoCertificate() throws Exception {
        TestPki.Files f = EC.writeTo(dir, "ec");
        assertReason(refusedCert(f.key()), f.key(), "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }

    @Test
    void aKeyFileHoldingOnlyACertificateHoldsNoKey() throws Exception {
        TestPki.Files f = EC.writeTo(dir, "ec");
        assertReason(refusedKey(f.cert()), f.cert(), "holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
    }

    @Test
    void aCertificateBlockThatIsNotX509IsRefused() throws Exception {
        Path bad = write("bad.pem", "-----BEGIN CERTIFICATE-----\nAAAAAAAAAAAA\n-----END CERTIFICATE-----\n");
        assertReason(refusedCert(bad), bad, "not a valid X.509 certificate");
    }

    @Test
    void invalidBase64IsRefused() throws Exception {
        Path bad = write("bad.pem", "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n");
        assertReason(refusedCert(bad), bad, "not valid base64");
        Path badKey = write("bad.key", "-----BEGIN PRIVATE KEY-----\nA\n-----END PRIVATE KEY-----\n");
        assertReason(refusedKey(badKey), badKey, "not valid base64");
    }

    @Test
    void aPkcs1RsaKeyIsRefusedWithTheConversionCommand() throws Exception {
        Path pkcs1 = RSA.writeKeyPkcs1(dir.resolve("rsa1.key"));
        TlsFileException e = refusedKey(pkcs1);
        assertReason(e, pkcs1, "traditional RSA form");
        assertTrue(e.reason().contains("openssl pkcs8 -topk8 -nocrypt"), e.reason());
    }

    @Test
    void aTraditionalEcKeyIsRefusedWithTheConversionCommand() throws Exception {
        Path sec1 = write("ec1.key", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n");
        TlsFileException e = refusedKey(sec1);
        assertReason(e, sec1, "traditional EC form");
        assertTrue(e.reason().contains("openssl pkcs8 -topk8 -nocrypt"), e.reason());
    }

    @Test
    void anEncryptedKeyIsRefused() throws Exception {
        Path enc = write("enc.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG\n"
                + "-----END ENCRYPTED PRIVATE KEY-----\n");
        TlsFileException e = refusedKey(enc);
        assertReason(e, enc, "the key is encrypted");
        assertTrue(e.reason().contains("openssl pkcs8"), e.reason());
    }

    @Test
    void aPrivateKeyBlockThatIsNoKeyIsRefused() throws Exception {
        Path bad = write("bad.key", "-----BEGIN PRIVATE KEY-----\nAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n");
        assertReason(refusedKey(bad), bad, "not an RSA or EC private key in PKCS#8 form");
    }

    @Test
    void crlfLineEndsAreRead() throws Exception {
        TestPki.Files f = EC.writeTo(dir, "ec");
        Path cert = write("crlf.pem", Files.readString(f.cert()).replace("\n", "\r\n"));
        Path key = write("crlf.key", Files.readString(f.key()).replace("\n", "\r\n"));
        assertEquals(List.of(EC.certificate()), PemFiles.certificates(cert));
        assertEquals(EC.key(), PemFiles.privateKey(key));
    }
}
