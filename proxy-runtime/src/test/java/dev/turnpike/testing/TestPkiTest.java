package dev.turnpike.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestPkiTest {

    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final TestPki.Authority CA = TestPki.ca("Test CA");

    @Test
    void caIsSelfSignedCa() throws Exception {
        X509Certificate ca = CA.certificate();
        ca.verify(ca.getPublicKey());
        ca.checkValidity();
        assertEquals("CN=Test CA,O=Turnpike Tests", ca.getSubjectX500Principal().getName());
        assertEquals(Integer.MAX_VALUE, ca.getBasicConstraints());
        boolean[] usage = ca.getKeyUsage();
        assertTrue(usage[5] && usage[6], "keyCertSign and cRLSign");
        assertEquals("SHA256withECDSA", ca.getSigAlgName());
        assertEquals("EC", ca.getPublicKey().getAlgorithm());
    }

    @Test
    void serverCertificateVerifiesAndCarriesNamesAndUsage() throws Exception {
        TestPki.Issued server = CA.issue(TestPki.server("localhost", "127.0.0.1", "::1", "backend.test"));
        X509Certificate cert = server.certificate();
        cert.verify(CA.certificate().getPublicKey());
        cert.checkValidity();
        assertEquals("CN=localhost,O=Turnpike Tests", cert.getSubjectX500Principal().getName());
        assertEquals(CA.certificate().getSubjectX500Principal(), cert.getIssuerX500Principal());
        assertEquals(List.of(SERVER_AUTH), cert.getExtendedKeyUsage());
        assertEquals(-1, cert.getBasicConstraints());
        Collection<List<?>> sans = cert.getSubjectAlternativeNames();
        assertEquals(List.of(List.of(2, "localhost"), List.of(7, "127.0.0.1"), List.of(7, "0:0:0:0:0:0:0:1"), List.of(2, "backend.test")),
                sans.stream().map(l -> List.of(l.get(0), l.get(1))).toList());
        assertNotNull(cert.getExtensionValue(Extension.subjectKeyIdentifier.getId()));
        assertNotNull(cert.getExtensionValue(Extension.authorityKeyIdentifier.getId()));
        assertEquals("SHA256withECDSA", cert.getSigAlgName());
        assertEquals(List.of(cert), server.chain());
        assertEquals(CA, server.issuer());
        assertPkixValid(cert);
    }

    @Test
    void serialsAreRandom() {
        assertNotEquals(CA.issue(TestPki.server("a")).certificate().getSerialNumber(),
                CA.issue(TestPki.server("a")).certificate().getSerialNumber());
    }

    @Test
    void clientCertificate() throws Exception {
        X509Certificate cert = CA.issue(TestPki.client("alice").san("alice@example.test", "alice.example.test")).certificate();
        cert.verify(CA.certificate().getPublicKey());
        assertEquals("CN=alice,O=Turnpike Tests", cert.getSubjectX500Principal().getName());
        assertEquals(List.of(CLIENT_AUTH), cert.getExtendedKeyUsage());
        assertEquals(List.of(List.of(1, "alice@example.test"), List.of(2, "alice.example.test")),
                cert.getSubjectAlternativeNames().stream().map(l -> List.of(l.get(0), l.get(1))).toList());
        assertEquals(null, CA.issue(TestPki.client("bob")).certificate().getSubjectAlternativeNames());
    }

    @Test
    void commonNameOverrideAndRsa() throws Exception {
        TestPki.Issued issued = CA.issue(TestPki.server("right.test").commonName("wrong.test").rsa());
        X509Certificate cert = issued.certificate();
        cert.verify(CA.certificate().getPublicKey());
        assertEquals("CN=wrong.test,O=Turnpike Tests", cert.getSubjectX500Principal().getName());
        assertEquals("RSA", issued.key().getAlgorithm());
        assertEquals("RSA", cert.getPublicKey().getAlgorithm());
        assertEquals("SHA256withECDSA", cert.getSigAlgName());
    }

    @Test
    void expiredSpecGivesExpiredCertificate() throws Exception {
        Instant now = Instant.now();
        X509Certificate cert = CA.issue(TestPki.server("localhost")
                .validity(now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)))).certificate();
        cert.verify(CA.certificate().getPublicKey());
        assertThrows(CertificateExpiredException.class, cert::checkValidity);
        CertPathValidatorException e = assertThrows(CertPathValidatorException.class, () -> assertPkixValid(cert));
        assertEquals(CertPathValidatorException.BasicReason.EXPIRED, e.getReason());
    }

    @Test
    void otherCaDoesNotVerify() {
        X509Certificate cert = TestPki.ca("Other CA").issue(TestPki.server("localhost")).certificate();
        assertThrows(Exception.class, () -> cert.verify(CA.certificate().getPublicKey()));
        assertThrows(CertPathValidatorException.class, () -> assertPkixValid(cert));
    }

    @Test
    void pemFilesParseBack(@TempDir Path dir) throws Exception {
        for (TestPki.Spec spec : List.of(TestPki.server("localhost"), TestPki.client("carol").rsa())) {
            TestPki.Issued issued = CA.issue(spec);
            TestPki.Files files = issued.writeTo(dir, "leaf");
            assertEquals(dir.resolve("leaf.pem"), files.cert());
            assertEquals(dir.resolve("leaf.key"), files.key());
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            try (InputStream in = Files.newInputStream(files.cert())) {
                assertEquals(issued.chain(), factory.generateCertificates(in).stream().toList());
            }
            String keyPem = Files.readString(files.key());
            assertTrue(keyPem.startsWith("-----BEGIN PRIVATE KEY-----\n"), keyPem);
            PrivateKey key = KeyFactory.getInstance(issued.key().getAlgorithm())
                    .generatePrivate(new PKCS8EncodedKeySpec(der(keyPem, "PRIVATE KEY")));
            assertArrayEquals(issued.key().getEncoded(), key.getEncoded());
            assertSignsFor(key, issued.certificate());
        }
        Path caFile = CA.writeTo(dir.resolve("ca.pem"));
        try (InputStream in = Files.newInputStream(caFile)) {
            assertEquals(CA.certificate(), CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
    }

    @Test
    void pkcs1KeyForRsaOnly(@TempDir Path dir) throws Exception {
        TestPki.Issued rsa = CA.issue(TestPki.server("localhost").rsa());
        String pem = Files.readString(rsa.writeKeyPkcs1(dir.resolve("rsa.key")));
        assertTrue(pem.startsWith("-----BEGIN RSA PRIVATE KEY-----\n"), pem);
        // PKCS#1 is not PKCS#8: the JDK's KeyFactory rejects it, which is what the negative test relies on.
        assertThrows(Exception.class, () -> KeyFactory.getInstance("RSA")
                .generatePrivate(new PKCS8EncodedKeySpec(der(pem, "RSA PRIVATE KEY"))));
        TestPki.Issued ec = CA.issue(TestPki.server("localhost"));
        assertThrows(IllegalStateException.class, () -> ec.writeKeyPkcs1(dir.resolve("ec.key")));
    }

    @Test
    void trustStoreHoldsTheCa() throws Exception {
        assertEquals(CA.certificate(), CA.trustStore().getCertificate("ca"));
        assertEquals(1, CA.trustStore().size());
    }

    private static void assertPkixValid(X509Certificate cert) throws Exception {
        PKIXParameters params = new PKIXParameters(CA.trustStore());
        params.setRevocationEnabled(false);
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        CertPathValidator.getInstance("PKIX").validate(factory.generateCertPath(List.of(cert)), params);
    }

    private static void assertSignsFor(PrivateKey key, X509Certificate cert) throws Exception {
        String algorithm = key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        byte[] data = "turnpike".getBytes(StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(data);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(cert.getPublicKey());
        verifier.update(data);
        assertTrue(verifier.verify(signature));
    }

    private static byte[] der(String pem, String type) {
        String body = pem.replace("-----BEGIN " + type + "-----", "").replace("-----END " + type + "-----", "");
        return Base64.getMimeDecoder().decode(body.getBytes(StandardCharsets.US_ASCII));
    }
}
