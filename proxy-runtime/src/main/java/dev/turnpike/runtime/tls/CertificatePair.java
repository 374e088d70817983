package dev.turnpike.runtime.tls;

import dev.turnpike.runtime.config.ServerTlsSettings.CertificateFiles;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;

/**
 * A served certificate: its chain and key, read and checked together (the key is the certificate's,
 * the certificate is valid now), with the names it serves. Immutable.
 *
 * @param files the files it was read from
 * @param chain the chain, leaf first
 * @param key   the leaf's private key
 * @param names the DNS names (lower-case, wildcards as {@code *.example.com}) and IP addresses of its
 *              subject alternative names
 */
record CertificatePair(CertificateFiles files, List<X509Certificate> chain, PrivateKey key, List<String> names) {

    /** Expiry this close is warned about, at start and on every reload. */
    static final Duration EXPIRY_WARNING = Duration.ofDays(14);

    CertificatePair {
        chain = List.copyOf(chain);
        names = List.copyOf(names);
    }

    /**
     * Reads and checks one pair.
     *
     * @throws TlsFileException naming the file at fault: unreadable, not PEM, the key of another
     *                          certificate, or a certificate not valid at {@code now}
     */
    static CertificatePair read(CertificateFiles files, Instant now) throws TlsFileException {
        List<X509Certificate> chain = PemFiles.certificates(files.cert());
        PrivateKey key = PemFiles.privateKey(files.key());
        X509Certificate leaf = chain.get(0);
        if (!matches(key, leaf)) {
            throw new TlsFileException(files.key(), "this key does not belong to the certificate in " + files.cert()
                    + " (" + leaf.getSubjectX500Principal().getName() + ")");
        }
        try {
            leaf.checkValidity(Date.from(now));
        } catch (CertificateExpiredException e) {
            throw new TlsFileException(files.cert(), "the certificate expired on " + leaf.getNotAfter().toInstant());
        } catch (CertificateNotYetValidException e) {
            throw new TlsFileException(files.cert(), "the certificate is not valid before " + leaf.getNotBefore().toInstant());
        }
        return new CertificatePair(files, chain, key, names(files, leaf));
    }

    X509Certificate leaf() {
        return chain.get(0);
    }

    Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }

    /** Whether it expires within {@link #EXPIRY_WARNING} of {@code now}. */
    boolean expiresSoon(Instant now) {
        return notAfter().isBefore(now.plus(EXPIRY_WARNING));
    }

    /** For logs: the first name, or the subject when the certificate has no alternative names. */
    String label() {
        return names.isEmpty() ? leaf().getSubjectX500Principal().getName() : names.get(0);
    }

    /** Proof of possession: a signature with the key that the certificate's public key verifies. */
    private static boolean matches(PrivateKey key, X509Certificate cert) throws TlsFileException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> null;
        };
        if (algorithm == null || !algorithm.endsWith(cert.getPublicKey().getAlgorithm().replace("EC", "ECDSA"))) {
            return false;
        }
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static List<String> names(CertificateFiles files, X509Certificate leaf) throws TlsFileException {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    int type = (Integer) san.get(0);
                    if (type == 2) {
                        out.add(((String) san.get(1)).toLowerCase(Locale.ROOT));
                    } else if (type == 7) {
                        out.add((String) san.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new TlsFileException(files.cert(), "its subject alternative names cannot be read (" + e.getMessage() + ")");
        }
        return out;
    }
}
