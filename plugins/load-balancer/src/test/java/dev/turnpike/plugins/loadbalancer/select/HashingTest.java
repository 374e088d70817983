package dev.turnpike.plugins.loadbalancer.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HashingTest {

    @Test
    void sameInputSameOutput() {
        assertEquals(Hashing.hash64("10.0.0.1:8080#7"), Hashing.hash64("10.0.0.1:8080#7"));
        assertEquals(Hashing.hash64("abc"), Hashing.hash64(new StringBuilder("abc")));
    }

    @Test
    void differentInputsDiffer() {
        assertNotEquals(Hashing.hash64("a"), Hashing.hash64("b"));
        assertNotEquals(Hashing.hash64(""), Hashing.hash64("a"));
        assertNotEquals(Hashing.hash64("ab"), Hashing.hash64("ba"));
    }

    @Test
    void oneCharChangeFlipsAboutHalfTheBits() {
        Random random = new Random(42);
        long flipped = 0;
        int samples = 1000;
        for (int s = 0; s < samples; s++) {
            char[] text = new char[1 + random.nextInt(20)];
            for (int i = 0; i < text.length; i++) {
                text[i] = (char) ('a' + random.nextInt(26));
            }
            long before = Hashing.hash64(new String(text));
            int at = random.nextInt(text.length);
            text[at] ^= (char) (1 << random.nextInt(5));
            long after = Hashing.hash64(new String(text));
            flipped += Long.bitCount(before ^ after);
        }
        double mean = flipped / (double) samples;
        assertTrue(mean >= 24 && mean <= 40, "mean bits flipped " + mean);
    }

    @Test
    void neighbouringNumbersSpreadEvenlyOverARing() {
        // Client addresses of one subnet are consecutive ints: their hashes must still spread.
        ConsistentHash ring = new ConsistentHash(new String[] {"a:1", "b:2", "c:3", "d:4"}, new int[] {1, 1, 1, 1});
        int[] counts = new int[4];
        int base = (10 << 24) | (1 << 16);
        for (int i = 0; i < 4000; i++) {
            counts[ring.select(Hashing.hash64((long) (base + i)), b -> true)]++;
        }
        for (int c : counts) {
            assertTrue(c > 700 && c < 1300, java.util.Arrays.toString(counts));
        }
        assertNotEquals(Hashing.hash64(1L), Hashing.hash64(2L));
        assertEquals(Hashing.hash64(7L), Hashing.hash64(7L));
    }
}
