package com.example.canary;

import java.nio.charset.StandardCharsets;

/**
 * A 64-bit hash of text that is the same in every JVM, on every machine, across restarts (unlike
 * {@code String.hashCode} mixed with a per-process seed, or {@code Object.hashCode}): what makes a
 * client's track survive a reload, a restart, and a second proxy beside the first. FNV-1a over the
 * UTF-8 bytes, then a finalising mix so that neighbouring keys (10.0.0.1, 10.0.0.2) land far apart.
 */
final class StableHash {

    private StableHash() {
    }

    static long of(String salt, String key) {
        long h = 0xcbf29ce484222325L;
        h = mix(h, salt);
        h = (h ^ 0x1f) * 0x100000001b3L; // a separator, so ("ab","c") and ("a","bc") differ
        h = mix(h, key);
        return finish(h);
    }

    private static long mix(long h, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** The finaliser of SplitMix64: every input bit affects every output bit. */
    private static long finish(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
