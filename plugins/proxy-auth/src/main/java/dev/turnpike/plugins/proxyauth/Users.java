package dev.turnpike.plugins.proxyauth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The users file: one user a line, {@code user:sha256:<salt hex>:<hash hex>} where the hash is
 * SHA-256 over the salt's bytes followed by the password's UTF-8 bytes. Blank lines and lines
 * starting with {@code #} are skipped. Immutable once read; {@link #verify} is thread-safe.
 *
 * <p>A password is checked in time that does not depend on where it differs from the right one
 * ({@link MessageDigest#isEqual}), and a user who is not in the file costs the same hash as one who
 * is, so an answer's timing tells neither the password nor whether the user exists.
 */
final class Users {

    private record Entry(byte[] salt, byte[] hash) {
    }

    private static final byte[] DUMMY_SALT = new byte[16];
    private static final byte[] DUMMY_HASH = new byte[32];

    private final Map<String, Entry> entries;

    private Users(Map<String, Entry> entries) {
        this.entries = entries;
    }

    int size() {
        return entries.size();
    }

    /**
     * @param lines the file's lines
     * @throws IllegalArgumentException naming the line and what is wrong with it (never its hash)
     */
    static Users parse(List<String> lines) {
        Map<String, Entry> out = new HashMap<>();
        HexFormat hex = HexFormat.of();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = "line " + (i + 1);
            String[] f = line.split(":", -1);
            if (f.length != 4) {
                throw new IllegalArgumentException(where + ": expected user:sha256:<salt hex>:<hash hex>");
            }
            if (f[0].isEmpty()) {
                throw new IllegalArgumentException(where + ": no user name");
            }
            if (!f[1].equals("sha256")) {
                throw new IllegalArgumentException(where + ": unknown scheme '" + f[1] + "' (only sha256)");
            }
            byte[] salt;
            byte[] hash;
            try {
                salt = hex.parseHex(f[2]);
                hash = hex.parseHex(f[3]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": the salt and the hash must be hexadecimal");
            }
            if (salt.length == 0) {
                throw new IllegalArgumentException(where + ": empty salt");
            }
            if (hash.length != 32) {
                throw new IllegalArgumentException(where + ": the hash must be 64 hex digits (SHA-256)");
            }
            if (out.put(f[0], new Entry(salt, hash)) != null) {
                throw new IllegalArgumentException(where + ": user '" + f[0] + "' appears twice");
            }
        }
        return new Users(Map.copyOf(out));
    }

    /** Whether {@code password} is {@code user}'s. */
    boolean verify(String user, String password) {
        Entry e = entries.get(user);
        byte[] salt = e != null ? e.salt : DUMMY_SALT;
        byte[] expected = e != null ? e.hash : DUMMY_HASH;
        boolean same = MessageDigest.isEqual(hash(salt, password), expected);
        return e != null && same;
    }

    static byte[] hash(byte[] salt, String password) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(salt);
            d.update(password.getBytes(StandardCharsets.UTF_8));
            return d.digest();
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible); // every JDK has SHA-256
        }
    }
}
