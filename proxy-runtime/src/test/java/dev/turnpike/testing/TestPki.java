package dev.turnpike.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/**
 * Certificates for TLS tests, made in memory: a CA ({@link #ca(String)}) issues server and client
 * certificates ({@link #server(String...)}, {@link #client(String)}), including the broken ones a
 * negative test needs (expired, wrong name, untrusted issuer, RSA key in PKCS#1 form).
 *
 * <p>Everything is real X.509 that the JDK's PKIX validation accepts: random serials, subject and
 * authority key identifiers, critical basic constraints and key usage, extended key usage and
 * subject alternative names. Keys are EC P-256 unless {@link Spec#rsa()}; the CA is always EC and
 * signs with SHA256withECDSA. BouncyCastle only builds the certificates; the JDK's providers make
 * the keys and signatures and parse the result.
 */
public final class TestPki {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] PASSWORD = "changeit".toCharArray();
    private static final String ORGANISATION = "Turnpike Tests";

    private TestPki() {
    }

    /** A self-signed CA named {@code CN=<commonName>, O=Turnpike Tests}, valid from yesterday for 365 days. */
    public static Authority ca(String commonName) {
        KeyPair keys = keyPair(false);
        X500Name name = name(commonName);
        Instant now = Instant.now();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(365))), name, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(keys.getPublic()));
            return new Authority(keys, sign(builder, keys.getPrivate()));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A server certificate for {@code names} (at least one): each goes into the subject alternative
     * names, as an IP address if it parses as one, else as a DNS name; the subject is
     * {@code CN=<first name>, O=Turnpike Tests}; extended key usage serverAuth.
     */
    public static Spec server(String... names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("a server certificate needs at least one name");
        }
        Spec spec = new Spec(KeyPurposeId.id_kp_serverAuth, names[0]);
        return spec.san(names);
    }

    /** A client certificate: subject {@code CN=<commonName>, O=Turnpike Tests}, extended key usage clientAuth, no SAN unless {@link Spec#san}. */
    public static Spec client(String commonName) {
        return new Spec(KeyPurposeId.id_kp_clientAuth, commonName);
    }

    /** What {@link Authority#issue(Spec)} makes; a mutable builder, used once. */
    public static final class Spec {
        private final KeyPurposeId purpose;
        private final List<GeneralName> sans = new ArrayList<>();
        private String commonName;
        private Instant notBefore = Instant.now().minus(Duration.ofDays(1));
        private Instant notAfter = Instant.now().plus(Duration.ofDays(365));
        private boolean rsa;

        private Spec(KeyPurposeId purpose, String commonName) {
            this.purpose = purpose;
            this.commonName = commonName;
        }

        /** Adds subject alternative names: an IP literal as IP address, {@code a@b} as email, anything else as DNS name. */
        public Spec san(String... names) {
            for (String n : names) {
                int type = IPAddress.isValid(n) ? GeneralName.iPAddress
                        : n.contains("@") ? GeneralName.rfc822Name : GeneralName.dNSName;
                sans.add(new GeneralName(type, n));
            }
            return this;
        }

        /** Overrides the subject's CN (e.g. a server certificate whose CN is not among its SANs). */
        public Spec commonName(String cn) {
            this.commonName = cn;
            return this;
        }

        /** Validity period; e.g. both in the past for an expired certificate, both in the future for one not yet valid. */
        public Spec validity(Instant from, Instant until) {
            this.notBefore = from;
            this.notAfter = until;
            return this;
        }

        /** An RSA 2048 key instead of EC P-256. */
        public Spec rsa() {
            this.rsa = true;
            return this;
        }
    }

    /** A CA: its key and self-signed certificate. */
    public static final class Authority {
        private final KeyPair keys;
        private final X509Certificate certificate;

        private Authority(KeyPair keys, X509Certificate certificate) {
            this.keys = keys;
            this.certificate = certificate;
        }

        public X509Certificate certificate() {
            return certificate;
        }

        /** Issues a leaf certificate, signed by this CA with SHA256withECDSA. */
        public Issued issue(Spec spec) {
            KeyPair leaf = keyPair(spec.rsa);
            int usage = KeyUsage.digitalSignature | (spec.rsa ? KeyUsage.keyEncipherment : 0);
            try {
                JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
                X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
                        Date.from(spec.notBefore), Date.from(spec.notAfter), name(spec.commonName), leaf.getPublic())
                        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(usage))
                        .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(spec.purpose))
                        .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(leaf.getPublic()))
                        .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
                if (!spec.sans.isEmpty()) {
                    ASN1Encodable names = new GeneralNames(spec.sans.toArray(GeneralName[]::new));
                    builder.addExtension(Extension.subjectAlternativeName, false, names);
                }
                return new Issued(sign(builder, keys.getPrivate()), leaf.getPrivate(), this);
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Writes the CA certificate as PEM to {@code file}. @return {@code file} */
        public Path writeTo(Path file) {
            return write(file, pem("CERTIFICATE", encoded(certificate)));
        }

        /** A PKCS12 key store (in memory, no password) whose only entry is this CA's certificate, alias {@code ca}. */
        public KeyStore trustStore() {
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setCertificateEntry("ca", certificate);
                return store;
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** A client-side SSLContext that trusts only this CA and presents no certificate. */
        public SSLContext clientContext() {
            return context(null);
        }

        /** A client-side SSLContext that trusts only this CA and presents {@code clientCertificate} (issued by any CA). */
        public SSLContext clientContext(Issued clientCertificate) {
            return context(clientCertificate);
        }

        private SSLContext context(Issued identity) {
            try {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trustStore());
                KeyManagerFactory kmf = null;
                if (identity != null) {
                    KeyStore keyStore = KeyStore.getInstance("PKCS12");
                    keyStore.load(null, null);
                    keyStore.setKeyEntry("client", identity.key(), PASSWORD, identity.chain().toArray(X509Certificate[]::new));
                    kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                    kmf.init(keyStore, PASSWORD);
                }
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), RANDOM);
                return context;
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String toString() {
            return "Authority[" + certificate.getSubjectX500Principal().getName() + "]";
        }
    }

    /** A leaf certificate with its private key. */
    public static final class Issued {
        private final X509Certificate certificate;
        private final PrivateKey key;
        private final Authority issuer;

        private Issued(X509Certificate certificate, PrivateKey key, Authority issuer) {
            this.certificate = certificate;
            this.key = key;
            this.issuer = issuer;
        }

        public X509Certificate certificate() {
            return certificate;
        }

        public PrivateKey key() {
            return key;
        }

        /** The chain a peer presents: the leaf only (the CA is not included). */
        public List<X509Certificate> chain() {
            return List.of(certificate);
        }

        public Authority issuer() {
            return issuer;
        }

        /**
         * Writes {@code <dir>/<baseName>.pem} (the chain, PEM) and {@code <dir>/<baseName>.key}
         * (the private key, PKCS#8 PEM: {@code BEGIN PRIVATE KEY}).
         */
        public Files writeTo(Path dir, String baseName) {
            StringBuilder chainPem = new StringBuilder();
            chain().forEach(c -> chainPem.append(pem("CERTIFICATE", encoded(c))));
            Path cert = write(dir.resolve(baseName + ".pem"), chainPem.toString());
            Path keyFile = write(dir.resolve(baseName + ".key"), pem("PRIVATE KEY", key.getEncoded()));
            return new Files(cert, keyFile);
        }

        /** Writes an RSA key in the traditional PKCS#1 form ({@code BEGIN RSA PRIVATE KEY}). @return {@code file} */
        public Path writeKeyPkcs1(Path file) {
            if (!(key instanceof RSAPrivateKey)) {
                throw new IllegalStateException("PKCS#1 is for RSA keys; this key is " + key.getAlgorithm());
            }
            try {
                byte[] pkcs1 = PrivateKeyInfo.getInstance(key.getEncoded()).parsePrivateKey().toASN1Primitive().getEncoded();
                return write(file, pem("RSA PRIVATE KEY", pkcs1));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String toString() {
            return "Issued[" + certificate.getSubjectX500Principal().getName() + "]";
        }
    }

    /** The files {@link Issued#writeTo(Path, String)} wrote (named like {@code java.nio.file.Files}: qualify one). */
    public record Files(Path cert, Path key) {
    }

    private static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, ORGANISATION)
                .addRDN(BCStyle.CN, commonName)
                .build();
    }

    /** Positive, non-zero, at most 20 octets encoded (RFC 5280 4.1.2.2). */
    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static KeyPair keyPair(boolean rsa) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(rsa ? "RSA" : "EC");
            if (rsa) {
                generator.initialize(2048, RANDOM);
            } else {
                generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey caKey) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static byte[] encoded(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static Path write(Path file, String content) {
        try {
            java.nio.file.Files.write(file, content.getBytes(StandardCharsets.US_ASCII));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
