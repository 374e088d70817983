package dev.turnpike.runtime.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM files: certificate chains and PKCS#8 keys (RSA or EC). Every refusal names the file
 * and says what to do, because the one who reads it is an operator with a file from a CA, not a
 * stack trace reader. Blocking file IO: never call it on an event loop.
 */
final class PemFiles {

    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

    private PemFiles() {
    }

    /** The certificates of a PEM file, in file order (a chain: the leaf first). */
    static List<X509Certificate> certificates(Path file) throws TlsFileException {
        String text = read(file);
        List<X509Certificate> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            while (m.find()) {
                if (!m.group(1).equals("CERTIFICATE")) {
                    continue;
                }
                out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(decode(file, m.group(2)))));
            }
        } catch (CertificateException e) {
            throw new TlsFileException(file, "not a valid X.509 certificate (" + e.getMessage() + ")", e);
        }
        if (out.isEmpty()) {
            throw new TlsFileException(file, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return out;
    }

    /** The one private key of a PEM file, which must be unencrypted PKCS#8 ("BEGIN PRIVATE KEY"). */
    static PrivateKey privateKey(Path file) throws TlsFileException {
        String text = read(file);
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            switch (type) {
                case "PRIVATE KEY":
                    return pkcs8(file, decode(file, m.group(2)));
                case "ENCRYPTED PRIVATE KEY":
                    throw new TlsFileException(file, "the key is encrypted; give it unencrypted "
                            + "(openssl pkcs8 -topk8 -nocrypt -in <key> -out <key>.pk8) and protect the file instead");
                case "RSA PRIVATE KEY":
                case "EC PRIVATE KEY":
                    throw new TlsFileException(file, "the key is in the traditional " + type.substring(0, type.indexOf(' '))
                            + " form; convert it to PKCS#8 with: openssl pkcs8 -topk8 -nocrypt -in <key> -out <key>.pk8");
                default:
                    // a certificate or parameters block next to the key: look further
            }
        }
        throw new TlsFileException(file, "holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
    }

    private static PrivateKey pkcs8(Path file, byte[] der) throws TlsFileException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : new String[] {"RSA", "EC"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException wrongAlgorithm) {
                // try the next
            }
        }
        throw new TlsFileException(file, "not an RSA or EC private key in PKCS#8 form");
    }

    private static byte[] decode(Path file, String base64) throws TlsFileException {
        try {
            return Base64.getMimeDecoder().decode(base64.replaceAll("(?m)^[A-Za-z-]+:.*$", "").trim());
        } catch (IllegalArgumentException e) {
            throw new TlsFileException(file, "a PEM block is not valid base64");
        }
    }

    private static String read(Path file) throws TlsFileException {
        try {
            if (Files.isDirectory(file)) {
                throw new TlsFileException(file, "is a directory, not a PEM file");
            }
            return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new TlsFileException(file, "no such file", e);
        } catch (AccessDeniedException e) {
            throw new TlsFileException(file, "permission denied", e);
        } catch (IOException e) {
            throw new TlsFileException(file, "cannot read: " + e.getMessage(), e);
        }
    }
}
