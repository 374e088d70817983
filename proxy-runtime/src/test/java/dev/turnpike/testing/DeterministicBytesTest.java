package dev.turnpike.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DeterministicBytesTest {

    @Test
    void contentDoesNotDependOnSlicing() {
        byte[] whole = DeterministicBytes.bytes(7, 1000);
        byte[] sliced = new byte[1000];
        int[] cuts = {0, 1, 3, 8, 9, 17, 64, 333, 999, 1000};
        for (int i = 0; i + 1 < cuts.length; i++) {
            DeterministicBytes.fill(7, cuts[i], sliced, cuts[i], cuts[i + 1] - cuts[i]);
        }
        assertArrayEquals(whole, sliced);
    }

    @Test
    void streamAndShaAgreeWithBytes() throws IOException {
        int n = 200_003;
        byte[] expected = DeterministicBytes.bytes(n);
        assertArrayEquals(expected, DeterministicBytes.stream(DeterministicBytes.DEFAULT_SEED, n).readAllBytes());
        assertEquals(DeterministicBytes.sha256Hex(expected), DeterministicBytes.sha256Hex(DeterministicBytes.DEFAULT_SEED, n));
    }

    @Test
    void seedsDiffer() {
        assertNotEquals(Arrays.toString(DeterministicBytes.bytes(1, 32)), Arrays.toString(DeterministicBytes.bytes(2, 32)));
    }

    @Test
    void knownDigestOfEmpty() {
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", DeterministicBytes.sha256Hex(1, 0));
    }
}
