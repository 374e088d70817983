package com.example.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The replacement is the same however the stream is cut into pieces, matches split across pieces included. */
class StreamingReplaceTest {

    private static String run(String find, String replace, String text, int... cuts) {
        StreamingReplace r = new StreamingReplace(find.getBytes(StandardCharsets.UTF_8), replace.getBytes(StandardCharsets.UTF_8));
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int from = 0;
        for (int cut : cuts) {
            out.writeBytes(r.next(ByteBuffer.wrap(in, from, cut - from), false));
            from = cut;
        }
        out.writeBytes(r.next(ByteBuffer.wrap(in, from, in.length - from), true));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void replacesInOnePiece() {
        assertEquals("a cat and a cat", run("dog", "cat", "a dog and a dog"));
        assertEquals("a wolf!", run("dog", "wolf", "a dog!"));
        assertEquals("nothing here", run("dog", "cat", "nothing here"));
    }

    @Test
    void aMatchSplitAcrossPiecesIsFound() {
        assertEquals("a cat.", run("dog", "cat", "a dog.", 3));
        assertEquals("a cat.", run("dog", "cat", "a dog.", 3, 4));
        assertEquals("catcat", run("dog", "cat", "dogdog", 1, 2, 3, 4, 5));
    }

    @Test
    void aPartialMatchAtTheEndIsFlushed() {
        assertEquals("a do", run("dog", "cat", "a do", 3));
        assertEquals("dodo", run("dog", "cat", "dodo", 2));
    }

    @Test
    void overlappingCandidatesAreScannedLeftToRight() {
        assertEquals("ax", run("aab", "x", "aaab"));
        assertEquals("ax", run("aab", "x", "aaab", 1, 2, 3));
    }

    @Test
    void anyCutGivesTheSameResultAsNone() {
        Random random = new Random(7);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            sb.append(random.nextInt(4) == 0 ? "needle" : "hay").append(random.nextBoolean() ? "ne" : " ");
        }
        String text = sb.toString();
        String whole = run("needle", "pin", text);
        assertEquals(text.replace("needle", "pin"), whole);
        for (int trial = 0; trial < 50; trial++) {
            int n = 1 + random.nextInt(40);
            int[] cuts = random.ints(n, 1, text.length()).sorted().distinct().toArray();
            assertEquals(whole, run("needle", "pin", text, cuts), "cuts " + java.util.Arrays.toString(cuts));
        }
    }
}
