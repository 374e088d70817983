package dev.turnpike.plugins.loadbalancer.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

class ConsistentHashTest {

    private static final IntPredicate ALL = i -> true;
    private static final String[] IDS = {
        "10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080", "10.0.0.4:8080", "10.0.0.5:8080",
    };
    private static final int KEYS = 10_000;

    private static int[] ones(int n) {
        int[] w = new int[n];
        java.util.Arrays.fill(w, 1);
        return w;
    }

    private static long key(int i) {
        return Hashing.hash64("user-" + i);
    }

    /** Each key's backend, as an id so rings with different lists can be compared. */
    private static String[] owners(ConsistentHash ring, String[] ids, IntPredicate eligible) {
        String[] out = new String[KEYS];
        for (int i = 0; i < KEYS; i++) {
            int b = ring.select(key(i), eligible);
            out[i] = b < 0 ? null : ids[b];
        }
        return out;
    }

    @Test
    void keysSpreadEvenly() {
        ConsistentHash ring = new ConsistentHash(IDS, ones(5));
        int[] c = new int[5];
        for (int i = 0; i < KEYS; i++) {
            c[ring.select(key(i), ALL)]++;
        }
        for (int b = 0; b < 5; b++) {
            assertTrue(c[b] >= 1400 && c[b] <= 2600, "backend " + b + " got " + c[b]);
        }
    }

    @Test
    void sameKeySameBackendAcrossRings() {
        ConsistentHash a = new ConsistentHash(IDS, ones(5));
        ConsistentHash b = new ConsistentHash(IDS.clone(), ones(5));
        for (int i = 0; i < KEYS; i++) {
            int first = a.select(key(i), ALL);
            assertEquals(first, a.select(key(i), ALL), "key " + i);
            assertEquals(first, b.select(key(i), ALL), "key " + i);
        }
    }

    @Test
    void listOrderDoesNotMatter() {
        String[] reversed = {IDS[4], IDS[3], IDS[2], IDS[1], IDS[0]};
        String[] a = owners(new ConsistentHash(IDS, ones(5)), IDS, ALL);
        String[] b = owners(new ConsistentHash(reversed, ones(5)), reversed, ALL);
        for (int i = 0; i < KEYS; i++) {
            assertEquals(a[i], b[i], "key " + i);
        }
    }

    @Test
    void removingABackendMovesOnlyItsKeys() {
        String[] without = {IDS[0], IDS[1], IDS[3], IDS[4]};
        String[] before = owners(new ConsistentHash(IDS, ones(5)), IDS, ALL);
        String[] after = owners(new ConsistentHash(without, ones(4)), without, ALL);
        int moved = 0;
        for (int i = 0; i < KEYS; i++) {
            if (before[i].equals(IDS[2])) {
                assertTrue(!after[i].equals(IDS[2]));
                moved++;
            } else {
                assertEquals(before[i], after[i], "key " + i + " was not on the removed backend");
            }
        }
        double fraction = moved / (double) KEYS;
        assertTrue(fraction >= 0.12 && fraction <= 0.28, "moved " + fraction);
    }

    @Test
    void ineligibleBackendMovesItsKeysLikeRemovingIt() {
        String[] without = {IDS[0], IDS[1], IDS[3], IDS[4]};
        ConsistentHash ring = new ConsistentHash(IDS, ones(5));
        String[] before = owners(ring, IDS, ALL);
        String[] skipped = owners(ring, IDS, b -> b != 2);
        String[] removed = owners(new ConsistentHash(without, ones(4)), without, ALL);
        for (int i = 0; i < KEYS; i++) {
            if (!before[i].equals(IDS[2])) {
                assertEquals(before[i], skipped[i], "key " + i);
            }
            // Walking on clockwise is what removal does too, so they agree for every key.
            assertEquals(removed[i], skipped[i], "key " + i);
        }
    }

    @Test
    void weightTwoRoughlyDoublesTheShare() {
        ConsistentHash ring = new ConsistentHash(IDS, new int[] {1, 1, 2, 1, 1});
        int[] c = new int[5];
        for (int i = 0; i < KEYS; i++) {
            c[ring.select(key(i), ALL)]++;
        }
        double mean = (c[0] + c[1] + c[3] + c[4]) / 4.0;
        double ratio = c[2] / mean;
        assertTrue(ratio >= 1.6 && ratio <= 2.4, "ratio " + ratio + " counts " + java.util.Arrays.toString(c));
    }

    @Test
    void allIneligibleGivesMinusOne() {
        ConsistentHash ring = new ConsistentHash(IDS, ones(5));
        for (int i = 0; i < 100; i++) {
            assertEquals(-1, ring.select(key(i), b -> false));
        }
    }

    @Test
    void onlyEligibleBackendIsFoundFromAnyKey() {
        ConsistentHash ring = new ConsistentHash(IDS, ones(5));
        for (int i = 0; i < 1000; i++) {
            assertEquals(3, ring.select(key(i), b -> b == 3));
        }
    }

    @Test
    void extremeHashesWrapAround() {
        ConsistentHash ring = new ConsistentHash(IDS, ones(5));
        // Past the largest point wraps to the smallest, which is also the first point >= MIN_VALUE.
        assertEquals(ring.select(Long.MIN_VALUE, ALL), ring.select(Long.MAX_VALUE, ALL));
    }

    @Test
    void moreThanSixtyFourBackendsStillWork() {
        String[] ids = new String[70];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = "10.0.1." + i + ":80";
        }
        ConsistentHash ring = new ConsistentHash(ids, ones(70));
        assertEquals(-1, ring.select(key(1), b -> false));
        assertEquals(69, ring.select(key(1), b -> b == 69));
    }

    @Test
    void refusesBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new ConsistentHash(new String[0], new int[0]));
        assertThrows(IllegalArgumentException.class, () -> new ConsistentHash(IDS, ones(4)));
        assertThrows(IllegalArgumentException.class,
                () -> new ConsistentHash(new String[] {"a", "a"}, ones(2)));
        assertThrows(IllegalArgumentException.class,
                () -> new ConsistentHash(new String[] {"a", null}, ones(2)));
        assertThrows(IllegalArgumentException.class,
                () -> new ConsistentHash(new String[] {"a", "b"}, new int[] {1, 0}));
        assertThrows(IllegalArgumentException.class,
                () -> new ConsistentHash(new String[] {"a"}, new int[] {1_000_000}));
    }
}
