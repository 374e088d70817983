package dev.turnpike.plugins.loadbalancer.select;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

class SmoothWeightedRoundRobinTest {

    private static final IntPredicate ALL = i -> true;

    private static int[] picks(Selector s, int count, IntPredicate eligible) {
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = s.select(0L, eligible);
        }
        return out;
    }

    private static int[] counts(int[] picks, int n) {
        int[] c = new int[n];
        for (int p : picks) {
            c[p]++;
        }
        return c;
    }

    @Test
    void equalWeightsRotateInOrder() {
        SmoothWeightedRoundRobin s = new SmoothWeightedRoundRobin(new int[] {1, 1, 1});
        assertArrayEquals(new int[] {0, 1, 2, 0, 1, 2}, picks(s, 6, ALL));
    }

    @Test
    void equalWeightsShareEvenly() {
        int[] c = counts(picks(new SmoothWeightedRoundRobin(new int[] {1, 1, 1}), 3000, ALL), 3);
        for (int i = 0; i < 3; i++) {
            assertTrue(Math.abs(c[i] - 1000) <= 1, "backend " + i + " got " + c[i]);
        }
    }

    @Test
    void equalWeightsAboveOneReduceToPlainRotation() {
        SmoothWeightedRoundRobin s = new SmoothWeightedRoundRobin(new int[] {2, 2});
        assertArrayEquals(new int[] {0, 1, 0, 1, 0, 1}, picks(s, 6, ALL));
    }

    @Test
    void weightsFiveThreeOneGiveExactShares() {
        int[] c = counts(picks(new SmoothWeightedRoundRobin(new int[] {5, 3, 1}), 9000, ALL), 3);
        assertArrayEquals(new int[] {5000, 3000, 1000}, c);
    }

    @Test
    void weightsFiveThreeOneAreSmooth() {
        int[] p = picks(new SmoothWeightedRoundRobin(new int[] {5, 3, 1}), 9000, ALL);
        for (int start = 0; start + 9 <= p.length; start++) {
            int[] c = new int[3];
            for (int k = start; k < start + 9; k++) {
                c[p[k]]++;
            }
            assertArrayEquals(new int[] {5, 3, 1}, c, "window at " + start);
        }
        int run = 0;
        for (int i = 0; i < p.length; i++) {
            run = p[i] == 0 ? run + 1 : 0;
            assertTrue(run <= 2, "backend 0 picked " + run + " times in a row ending at " + i);
        }
    }

    @Test
    void weightsWithCommonFactorBehaveLikeReduced() {
        int[] reduced = picks(new SmoothWeightedRoundRobin(new int[] {5, 3, 1}), 45, ALL);
        int[] scaled = picks(new SmoothWeightedRoundRobin(new int[] {50, 30, 10}), 45, ALL);
        assertArrayEquals(reduced, scaled);
    }

    @Test
    void ineligibleBackendIsSkippedAndItsTurnsSpreadEvenly() {
        int[] p = picks(new SmoothWeightedRoundRobin(new int[] {1, 1, 1}), 3000, i -> i != 1);
        for (int i = 0; i < p.length; i++) {
            assertNotEquals(1, p[i], "pick " + i);
            if (i > 0) {
                assertNotEquals(p[i - 1], p[i], "picks " + (i - 1) + " and " + i + " should alternate");
            }
        }
        int[] c = counts(p, 3);
        assertTrue(Math.abs(c[0] - c[2]) <= 1, "0: " + c[0] + ", 2: " + c[2]);
    }

    @Test
    void weightedSkippingKeepsRemainingProportions() {
        // 5:3:1 with backend 0 out: 1 and 2 should split 3:1 among themselves.
        int[] c = counts(picks(new SmoothWeightedRoundRobin(new int[] {5, 3, 1}), 9000, i -> i != 0), 3);
        assertEquals(0, c[0]);
        assertEquals(9000, c[1] + c[2]);
        assertTrue(Math.abs(c[1] - 3 * c[2]) <= 40, "1: " + c[1] + ", 2: " + c[2]);
    }

    @Test
    void allIneligibleGivesMinusOne() {
        SmoothWeightedRoundRobin s = new SmoothWeightedRoundRobin(new int[] {5, 3, 1});
        for (int i = 0; i < 20; i++) {
            assertEquals(-1, s.select(0L, b -> false));
        }
    }

    @Test
    void onlyEligibleBackendIsFoundWhateverTheCursor() {
        SmoothWeightedRoundRobin s = new SmoothWeightedRoundRobin(new int[] {7, 1, 2, 1});
        for (int i = 0; i < 100; i++) {
            assertEquals(3, s.select(0L, b -> b == 3));
        }
    }

    @Test
    void concurrentPicksKeepExactRotation() throws Exception {
        SmoothWeightedRoundRobin s = new SmoothWeightedRoundRobin(new int[] {1, 1, 1});
        int threads = 8;
        int each = 30_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<int[]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    go.await();
                    int[] c = new int[3];
                    for (int i = 0; i < each; i++) {
                        c[s.select(0L, ALL)]++;
                    }
                    return c;
                }));
            }
            go.countDown();
            int[] total = new int[3];
            for (Future<int[]> f : results) {
                int[] c = f.get(60, TimeUnit.SECONDS);
                for (int i = 0; i < 3; i++) {
                    total[i] += c[i];
                }
            }
            assertArrayEquals(new int[] {80_000, 80_000, 80_000}, total);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void refusesBadWeights() {
        assertThrows(IllegalArgumentException.class, () -> new SmoothWeightedRoundRobin(new int[0]));
        assertThrows(IllegalArgumentException.class, () -> new SmoothWeightedRoundRobin(new int[] {1, 0}));
        assertThrows(IllegalArgumentException.class, () -> new SmoothWeightedRoundRobin(new int[] {1, -3}));
        assertThrows(IllegalArgumentException.class,
                () -> new SmoothWeightedRoundRobin(new int[] {999_999, 2}));
    }

    @Test
    void acceptsLargeWeightsThatReduce() {
        // Sum 3,000,000 but gcd 1,000,000: a 3-long cycle.
        SmoothWeightedRoundRobin s = new SmoothWeightedRoundRobin(new int[] {1_000_000, 2_000_000});
        assertArrayEquals(new int[] {1, 0, 1, 1, 0, 1}, picks(s, 6, ALL));
    }
}
