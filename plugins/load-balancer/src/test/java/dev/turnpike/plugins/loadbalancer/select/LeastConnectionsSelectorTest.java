package dev.turnpike.plugins.loadbalancer.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

class LeastConnectionsSelectorTest {

    private static final IntPredicate ALL = i -> true;

    @Test
    void picksTheLeastLoaded() {
        int[] active = {5, 0, 5};
        LeastConnections s = new LeastConnections(new int[] {1, 1, 1}, i -> active[i]);
        for (int k = 0; k < 10; k++) {
            assertEquals(1, s.select(0L, ALL));
        }
    }

    @Test
    void equalLoadRotatesAcrossAll() {
        int[] active = {2, 2, 2};
        LeastConnections s = new LeastConnections(new int[] {1, 1, 1}, i -> active[i]);
        int first = s.select(0L, ALL);
        int second = s.select(0L, ALL);
        int third = s.select(0L, ALL);
        assertEquals(Set.of(0, 1, 2), Set.of(first, second, third));
        assertEquals(first, s.select(0L, ALL), "rotation restarts after a full turn");
        int[] c = new int[3];
        for (int k = 0; k < 300; k++) {
            c[s.select(0L, ALL)]++;
        }
        assertEquals(100, c[0]);
        assertEquals(100, c[1]);
        assertEquals(100, c[2]);
    }

    @Test
    void weightsScaleTheLoad() {
        // 4/2 = 2 beats 3/1 = 3: the heavier backend takes more connections.
        int[] active = {4, 3};
        LeastConnections s = new LeastConnections(new int[] {2, 1}, i -> active[i]);
        assertEquals(0, s.select(0L, ALL));
        assertEquals(0, s.select(0L, ALL));
        active[0] = 8;
        assertEquals(1, s.select(0L, ALL));
    }

    @Test
    void tieOnRatioSharesAcrossCalls() {
        int[] active = {2, 1};
        LeastConnections s = new LeastConnections(new int[] {2, 1}, i -> active[i]);
        Set<Integer> seen = new HashSet<>();
        for (int k = 0; k < 10; k++) {
            seen.add(s.select(0L, ALL));
        }
        assertEquals(Set.of(0, 1), seen);
    }

    @Test
    void ineligibleBackendsAreSkipped() {
        int[] active = {5, 0, 7};
        LeastConnections s = new LeastConnections(new int[] {1, 1, 1}, i -> active[i]);
        for (int k = 0; k < 10; k++) {
            assertEquals(0, s.select(0L, i -> i != 1));
        }
        assertEquals(2, s.select(0L, i -> i == 2));
    }

    @Test
    void ineligibleBackendsAreNotAskedForTheirCount() {
        LeastConnections s = new LeastConnections(new int[] {1, 1}, i -> {
            assertTrue(i != 0, "count read for an ineligible backend");
            return 0;
        });
        assertEquals(1, s.select(0L, i -> i == 1));
    }

    @Test
    void allIneligibleGivesMinusOne() {
        LeastConnections s = new LeastConnections(new int[] {1, 2, 3}, i -> 0);
        for (int k = 0; k < 5; k++) {
            assertEquals(-1, s.select(0L, i -> false));
        }
    }

    @Test
    void largeCountsDoNotOverflow() {
        int[] active = {Integer.MAX_VALUE, Integer.MAX_VALUE - 1};
        LeastConnections s = new LeastConnections(new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE}, i -> active[i]);
        assertEquals(1, s.select(0L, ALL));
        assertEquals(1, s.select(0L, ALL));
    }

    @Test
    void refusesBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new LeastConnections(new int[0], i -> 0));
        assertThrows(IllegalArgumentException.class, () -> new LeastConnections(new int[] {1, 0}, i -> 0));
        assertThrows(IllegalArgumentException.class, () -> new LeastConnections(new int[] {1}, null));
    }
}
