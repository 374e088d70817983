package dev.turnpike.runtime.wire;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.turnpike.runtime.wire.WireHarness.Seen;
import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.RecordingBackend;
import dev.turnpike.testing.StrictHttpParser;
import dev.turnpike.testing.StrictHttpParser.Escape;
import dev.turnpike.testing.StrictHttpParser.Framing;
import dev.turnpike.testing.StrictHttpParser.Message;
import dev.turnpike.testing.StrictHttpParser.Result;
import dev.turnpike.testing.StrictHttpParser.State;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Byte-level mutation fuzzing of the client side against {@link StrictHttpParser}. Valid requests
 * are mutated at random (bytes inserted, deleted or replaced with the ones parsers disagree on,
 * lines duplicated or dropped, case changed, framing fields spliced in), one mutated input per
 * connection, and whatever the proxy does must be one of:
 * <ul>
 *   <li>refuse: a 4xx/5xx after which the connection closes, or just a close;</li>
 *   <li>forward exactly what the strict parser reads from the bytes: the same method, target and
 *       body, the same end-to-end fields in the same order with the same values (only what
 *       {@link Forwarded} lists may differ), one backend request per strict request, in order.</li>
 * </ul>
 * The smuggling property comes first: a request the strict parser refuses, and anything after
 * it, never reaches the backend at all. The backend is a {@link RecordingBackend} (it reads with
 * the strict parser too, so whatever the proxy sends must itself be strict HTTP).
 *
 * <p>Inputs the strict parser sees as unfinished are completed where it is easy (the missing body
 * bytes, a CRLF, a last chunk); the few left unfinished are sent as they are, and the proxy ends
 * those itself (its head and body timeouts are short in {@link dev.turnpike.runtime.http.WireProxy}).
 *
 * <p>Seeds: the cases take the fixed {@link #SEEDS} in turn, each case its own {@link Random}
 * ({@link #caseSeed}); {@code -Dturnpike.fuzz.runs=N} sets how many (default {@value #DEFAULT_RUNS}),
 * {@code -Dturnpike.fuzz.seed=<case seed>} replays one case printed by a failure, and
 * {@code -Dturnpike.fuzz.workers=N} how many proxies run cases side by side (default
 * {@value #WORKERS}; the outcome of a case does not depend on it); {@code -Dturnpike.fuzz.report=<file>}
 * writes every failure there, not only the first {@value #MAX_FAILURES_SHOWN}.
 */
class WireFuzzTest {

    private static final long[] SEEDS = {1, 2, 3, 0x5eed, 0xC0FFEE};
    private static final int DEFAULT_RUNS = 2000;
    private static final int MAX_FAILURES_SHOWN = 15;
    private static final int BACKEND_REFUSED = 421;
    /** Proxy-and-backend pairs run side by side: most of a case is waiting, for a close or a proxy timeout. */
    private static final int WORKERS = 4;

    private static final String[] VALID = {
        "GET /a?b=c HTTP/1.1\r\nHost: example.test\r\nUser-Agent: fuzz\r\nAccept: */*\r\n\r\n",
        "POST /upload HTTP/1.1\r\nHost: example.test\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world",
        "POST /c HTTP/1.1\r\nHost: example.test:8080\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
                + "5\r\nhello\r\n6;ext=v\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
        "GET /old HTTP/1.0\r\nX-Old: yes\r\n\r\n",
        "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\nX-Two: 2\r\n\r\n",
        "PUT /p HTTP/1.1\r\nHost: [::1]:80\r\nConnection: keep-alive, X-Hop\r\nX-Hop: drop\r\nContent-Length: 3\r\n\r\nabc",
        "GET http://example.test/abs?x=1 HTTP/1.1\r\nHost: other.test\r\n\r\n",
        "DELETE /d HTTP/1.1\r\nHost: d.test\r\nX-Obs: caf\u00e9\r\nCookie: a=b; c=d\r\n\r\n",
        "POST /two HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbodyPOST /three HTTP/1.1\r\nHost: t\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    };

    private static final String[] SPLICES = {
        "Content-Length: 0", "Content-Length: 5", "Content-Length: 11", "Content-Length: 5, 5", "Content-Length: +5",
        "Content-Length: 0x5", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked, chunked",
        "Transfer-Encoding : chunked", "Transfer-Encoding:\tchunked", "Transfer-Encoding: xchunked", " chunked",
        "\tTransfer-Encoding: chunked", "Host: x", "Host: evil.test", "Connection: close", "Connection: X-A",
        "X-A: 1", "TE: trailers", "Transfer-Encoding: identity", "Content-Length: 99999999999999999999",
    };

    private static final byte[] INTERESTING = {
        '\r', '\n', ' ', '\t', 0, ':', ';', ',', '=', '"', 'x', '-', '+', 0x0b, 0x0c, 0x7f,
        '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f', 'A', 'F',
    };

    /** What one worker found; merged at the end. */
    private static final class Tally {
        int runs;
        int strictComplete;
        int strictError;
        int strictUnfinished;
        int emptySkipped;
        int forwarded;
        int refusedWithStatus;
        int closedSilently;
        final Map<Integer, Integer> refusals = new TreeMap<>();
        /** By case number, so the report reads the same however the workers interleaved. */
        final Map<Integer, String> failures = new TreeMap<>();

        void add(Tally t) {
            runs += t.runs;
            strictComplete += t.strictComplete;
            strictError += t.strictError;
            strictUnfinished += t.strictUnfinished;
            emptySkipped += t.emptySkipped;
            forwarded += t.forwarded;
            refusedWithStatus += t.refusedWithStatus;
            closedSilently += t.closedSilently;
            t.refusals.forEach((k, v) -> refusals.merge(k, v, Integer::sum));
            failures.putAll(t.failures);
        }
    }

    /** The seed of case {@code i}: the seeds take turns, each case its own {@link Random}. */
    static long caseSeed(int i) {
        return SEEDS[i % SEEDS.length] * 1_000_003L + i / SEEDS.length;
    }

    @Test
    void mutatedRequestsAreRefusedOrForwardedExactlyAsTheStrictParserReadsThem() throws Exception {
        Logger turnpike = (Logger) LoggerFactory.getLogger("dev.turnpike");
        Level level = turnpike.getLevel();
        turnpike.setLevel(Level.ERROR); // a refusal logs a line; thousands of them only slow the run down
        Tally tally = new Tally();
        try {
            String replay = System.getProperty("turnpike.fuzz.seed");
            if (replay != null) {
                try (WireHarness wire = WireHarness.start()) {
                    runCase(wire, 0, Long.parseLong(replay), tally);
                }
            } else {
                int runs = Integer.getInteger("turnpike.fuzz.runs", DEFAULT_RUNS);
                int workers = Math.max(1, Integer.getInteger("turnpike.fuzz.workers", WORKERS));
                ExecutorService pool = Executors.newFixedThreadPool(workers);
                try {
                    List<Future<Tally>> parts = new ArrayList<>();
                    for (int w = 0; w < workers; w++) {
                        int worker = w;
                        parts.add(pool.submit(() -> {
                            Tally mine = new Tally();
                            // Each worker has its own proxy and backend, so "what reached the backend" stays per case.
                            try (WireHarness wire = WireHarness.start()) {
                                for (int i = worker; i < runs; i += workers) {
                                    runCase(wire, i, caseSeed(i), mine);
                                }
                            }
                            return mine;
                        }));
                    }
                    for (Future<Tally> part : parts) {
                        tally.add(part.get());
                    }
                } finally {
                    pool.shutdownNow();
                }
            }
        } finally {
            turnpike.setLevel(level);
        }
        System.out.printf("WireFuzzTest: %d runs (strict parser: %d complete, %d refused, %d unfinished; %d mutated to nothing,"
                        + " skipped); proxy: %d forwarded, %d refused with a status %s, %d closed without an answer;"
                        + " %d failure(s)%n",
                tally.runs, tally.strictComplete, tally.strictError, tally.strictUnfinished, tally.emptySkipped,
                tally.forwarded, tally.refusedWithStatus, tally.refusals, tally.closedSilently, tally.failures.size());
        List<String> failures = new ArrayList<>(tally.failures.values());
        String report = System.getProperty("turnpike.fuzz.report");
        if (report != null) {
            java.nio.file.Files.write(java.nio.file.Path.of(report), failures, StandardCharsets.ISO_8859_1);
        }
        assertTrue(failures.isEmpty(), () -> failures.size() + " of " + tally.runs + " mutated inputs went wrong"
                + " (replay one with -Dturnpike.fuzz.seed=<case seed>):\n\n"
                + String.join("\n\n", failures.subList(0, Math.min(MAX_FAILURES_SHOWN, failures.size())))
                + (failures.size() > MAX_FAILURES_SHOWN ? "\n\n... and " + (failures.size() - MAX_FAILURES_SHOWN) + " more" : ""));
    }

    // ------------------------------------------------------------------ one case

    private static void runCase(WireHarness wire, int index, long caseSeed, Tally tally) throws Exception {
        Random rnd = new Random(caseSeed);
        String valid = VALID[rnd.nextInt(VALID.length)];
        byte[] input = mutate(valid.getBytes(StandardCharsets.ISO_8859_1), rnd);
        Result strict = StrictHttpParser.parseRequests(input);
        for (int round = 0; round < 3 && strict.state() == State.INCOMPLETE; round++) {
            input = complete(input, strict);
            strict = StrictHttpParser.parseRequests(input);
        }
        if (strict.state() == State.COMPLETE && strict.messages().isEmpty()) {
            tally.emptySkipped++;
            return;
        }
        if (strict.state() == State.INCOMPLETE) {
            tally.strictUnfinished++;
        } else if (strict.state() == State.ERROR) {
            tally.strictError++;
        } else {
            tally.strictComplete++;
        }
        tally.runs++;

        int k = strict.messages().size();
        boolean whole = strict.state() == State.COMPLETE;
        int mark = wire.backend.accepted();
        // Read k answers for a complete input; otherwise on until the proxy ends the connection
        // (a refusal, or its own timeout), after whatever valid requests came first. Stop early once
        // the outcome is known to be wrong, instead of waiting for a close that will not come.
        Seen seen = wire.exchange(input, got -> {
            if (got.isEmpty()) {
                return whole && k == 0;
            }
            RawHttp.Response last = got.get(got.size() - 1);
            long answered = got.stream().filter(r -> r.status() < 400).count();
            if (last.status() == BACKEND_REFUSED || answered > k) {
                return true;
            }
            if (last.status() >= 400) {
                return !WireHarness.saysClose(last);
            }
            return whole && answered >= k;
        });
        List<RecordingBackend.Connection> reached = wire.reached(mark);

        List<String> wrong = new ArrayList<>();
        check(strict, seen, reached, wrong);
        count(seen, reached, tally);
        if (!wrong.isEmpty()) {
            tally.failures.put(index, "case seed " + caseSeed + ": " + String.join("; ", wrong)
                    + "\n  sent:     " + Escape.bytes(input)
                    + "\n  strict:   " + strict
                    + "\n  client:   " + seen.describe()
                    + "\n  backend:  " + describe(reached));
        }
    }

    private static void check(Result strict, Seen seen, List<RecordingBackend.Connection> reached, List<String> wrong) {
        List<Message> expected = strict.messages();
        // Backend side: each upstream connection carries exactly one strict request, whole or cut short.
        List<Message> forwarded = new ArrayList<>();
        List<Boolean> whole = new ArrayList<>();
        for (RecordingBackend.Connection c : reached) {
            Result got = c.requests();
            if (got.state() == State.ERROR) {
                wrong.add("the proxy sent the backend bytes the strict parser refuses (" + got.reason() + ")");
                return;
            }
            if (got.messages().size() > 1 || (got.messages().size() == 1 && got.state() != State.COMPLETE)) {
                wrong.add("more than one request on one upstream connection (pooling is off): smuggled bytes");
                return;
            }
            if (got.messages().size() == 1) {
                forwarded.add(got.messages().get(0));
                whole.add(true);
            } else if (got.partial() != null) {
                forwarded.add(got.partial());
                whole.add(false);
            } else {
                wrong.add("the backend got an unfinished request head");
                return;
            }
        }
        int allowed = expected.size() + (strict.partial() != null ? 1 : 0);
        if (forwarded.size() > allowed) {
            wrong.add(forwarded.size() + " request(s) reached the backend where the strict parser reads " + expected.size()
                    + (strict.state() == State.ERROR ? " before refusing the rest (" + strict.reason() + ")" : ""));
        }
        for (int i = 0; i < Math.min(forwarded.size(), allowed); i++) {
            boolean strictWhole = i < expected.size();
            Message sent = strictWhole ? expected.get(i) : strict.partial();
            if (whole.get(i) && !strictWhole) {
                wrong.add("request " + (i + 1) + " reached the backend whole; the strict parser reads it as unfinished");
                continue;
            }
            String diff = Forwarded.diff(sent, forwarded.get(i), whole.get(i));
            if (diff != null) {
                wrong.add("request " + (i + 1) + " changed on the way: " + diff);
            }
        }
        // Client side: a 2xx only for a request the strict parser reads whole; a refusal closes.
        int answered = 0;
        for (RawHttp.Response r : seen.responses()) {
            if (r.status() < 400) {
                answered++;
            }
        }
        if (answered > expected.size()) {
            wrong.add(answered + " answer(s) below 400 where the strict parser reads " + expected.size() + " request(s)");
        }
        if (seen.trouble() != null && !seen.trouble().startsWith("closed mid-response")) {
            wrong.add("client: " + seen.trouble());
        }
        boolean proxyRefused = seen.responses().stream().anyMatch(r -> r.status() >= 400 && r.status() != BACKEND_REFUSED);
        if (proxyRefused && !seen.closed()) {
            wrong.add("a refusal without closing the connection");
        }
        if (strict.state() != State.COMPLETE && !seen.closed() && answered <= expected.size() && !proxyRefused) {
            wrong.add("the proxy did not end a connection whose bytes the strict parser "
                    + (strict.state() == State.ERROR ? "refuses" : "cannot finish"));
        }
    }

    private static void count(Seen seen, List<RecordingBackend.Connection> reached, Tally tally) {
        if (!reached.isEmpty()) {
            tally.forwarded++;
        }
        for (RawHttp.Response r : seen.responses()) {
            if (r.status() >= 400) {
                tally.refusedWithStatus++;
                tally.refusals.merge(r.status(), 1, Integer::sum);
                return;
            }
        }
        if (reached.isEmpty()) {
            tally.closedSilently++;
        }
    }

    private static String describe(List<RecordingBackend.Connection> reached) {
        if (reached.isEmpty()) {
            return "nothing";
        }
        StringBuilder sb = new StringBuilder();
        for (RecordingBackend.Connection c : reached) {
            sb.append(sb.length() == 0 ? "" : " | ").append(Escape.bytes(c.bytes()));
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ mutation

    static byte[] mutate(byte[] in, Random rnd) {
        byte[] b = in;
        int ops = rnd.nextInt(4) == 0 ? 2 : 1;
        for (int op = 0; op < ops; op++) {
            b = switch (rnd.nextInt(12)) {
                case 0, 1 -> insert(b, rnd.nextInt(b.length + 1), new byte[] {interesting(rnd)});
                case 2 -> delete(b, rnd.nextInt(Math.max(1, b.length)), 1 + rnd.nextInt(3));
                case 3, 4 -> replace(b, rnd.nextInt(Math.max(1, b.length)), interesting(rnd));
                case 5 -> duplicateLine(b, rnd);
                case 6 -> dropLine(b, rnd);
                case 7, 8 -> changeCase(b, rnd);
                case 9, 10 -> splice(b, rnd);
                default -> lineEnd(b, rnd);
            };
        }
        return b;
    }

    private static byte interesting(Random rnd) {
        return rnd.nextInt(8) == 0 ? (byte) (0x80 + rnd.nextInt(0x80)) : INTERESTING[rnd.nextInt(INTERESTING.length)];
    }

    private static byte[] insert(byte[] b, int at, byte[] what) {
        byte[] out = new byte[b.length + what.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(what, 0, out, at, what.length);
        System.arraycopy(b, at, out, at + what.length, b.length - at);
        return out;
    }

    private static byte[] delete(byte[] b, int at, int n) {
        if (b.length == 0) {
            return b;
        }
        n = Math.min(n, b.length - at);
        byte[] out = new byte[b.length - n];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(b, at + n, out, at, b.length - at - n);
        return out;
    }

    private static byte[] replace(byte[] b, int at, byte with) {
        if (b.length == 0) {
            return b;
        }
        byte[] out = b.clone();
        out[at] = with;
        return out;
    }

    /** The starts of the lines (after each CRLF, and 0), each with the index after its CRLF. */
    private static List<int[]> lines(byte[] b) {
        List<int[]> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i + 1 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                out.add(new int[] {start, i + 2});
                start = i + 2;
            }
        }
        return out;
    }

    private static byte[] duplicateLine(byte[] b, Random rnd) {
        List<int[]> lines = lines(b);
        if (lines.isEmpty()) {
            return b;
        }
        int[] line = lines.get(rnd.nextInt(lines.size()));
        byte[] copy = new byte[line[1] - line[0]];
        System.arraycopy(b, line[0], copy, 0, copy.length);
        return insert(b, line[1], copy);
    }

    private static byte[] dropLine(byte[] b, Random rnd) {
        List<int[]> lines = lines(b);
        if (lines.size() < 2) {
            return b;
        }
        int[] line = lines.get(1 + rnd.nextInt(lines.size() - 1));
        return delete(b, line[0], line[1] - line[0]);
    }

    private static byte[] changeCase(byte[] b, Random rnd) {
        List<int[]> lines = lines(b);
        if (lines.isEmpty()) {
            return b;
        }
        int[] line = lines.get(rnd.nextInt(lines.size()));
        byte[] out = b.clone();
        boolean upper = rnd.nextBoolean();
        for (int i = line[0]; i < line[1]; i++) {
            if (rnd.nextInt(3) == 0) {
                char c = (char) (out[i] & 0xff);
                if (c < 0x80 && Character.isLetter(c)) {
                    out[i] = (byte) (upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
                }
            }
        }
        return out;
    }

    /** A field line from {@link #SPLICES} at the start of a line of the first head (not before the request line). */
    private static byte[] splice(byte[] b, Random rnd) {
        List<int[]> lines = lines(b);
        List<Integer> starts = new ArrayList<>();
        for (int[] line : lines) {
            if (line[0] > 0) {
                starts.add(line[0]);
            }
            if (line[1] - line[0] == 2) {
                starts.add(line[0]);
                break; // the empty line ends the first head
            }
        }
        if (starts.isEmpty()) {
            return b;
        }
        String field = SPLICES[rnd.nextInt(SPLICES.length)] + "\r\n";
        return insert(b, starts.get(rnd.nextInt(starts.size())), field.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** A CRLF becomes a bare LF or a bare CR, or a bare LF is inserted before a CRLF's LF's neighbour. */
    private static byte[] lineEnd(byte[] b, Random rnd) {
        List<int[]> lines = lines(b);
        if (lines.isEmpty()) {
            return b;
        }
        int crlf = lines.get(rnd.nextInt(lines.size()))[1] - 2;
        return switch (rnd.nextInt(3)) {
            case 0 -> delete(b, crlf, 1);            // bare LF
            case 1 -> delete(b, crlf + 1, 1);        // bare CR
            default -> insert(b, crlf, new byte[] {'\n'}); // LF CR LF
        };
    }

    // ------------------------------------------------------------------ completion

    /** Finishes an unfinished input the easy way: the missing body bytes, else a line end or a last chunk. */
    static byte[] complete(byte[] input, Result strict) {
        Message partial = strict.partial();
        if (partial != null && partial.framing() == Framing.LENGTH) {
            long missing = Long.parseLong(partial.value("Content-Length")) - partial.body().length;
            if (missing > 0 && missing <= 8192) {
                byte[] pad = new byte[(int) missing];
                java.util.Arrays.fill(pad, (byte) 'z');
                return concat(input, pad);
            }
        }
        for (String suffix : new String[] {"\r\n", "\n", "\r\n\r\n", "0\r\n\r\n", "\r\n0\r\n\r\n"}) {
            byte[] candidate = concat(input, suffix.getBytes(StandardCharsets.ISO_8859_1));
            if (StrictHttpParser.parseRequests(candidate).state() != State.INCOMPLETE) {
                return candidate;
            }
        }
        return concat(input, "\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(a.length + b.length);
        out.write(a, 0, a.length);
        out.write(b, 0, b.length);
        return out.toByteArray();
    }
}
