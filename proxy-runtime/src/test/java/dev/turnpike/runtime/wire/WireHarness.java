package dev.turnpike.runtime.wire;

import dev.turnpike.runtime.http.WireProxy;
import dev.turnpike.testing.RawHttp;
import dev.turnpike.testing.RecordingBackend;
import dev.turnpike.testing.StrictHttpParser;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link WireProxy} in front of a {@link RecordingBackend}, one raw client connection per
 * exchange, and a way to know the whole system has gone quiet afterwards, so that "nothing reached
 * the backend" is a fact and not a race: {@link #settle()} waits (without any timed assertion)
 * until the proxy holds no client connection and no upstream connection, every upstream
 * connection it opened was accepted by the backend, and every one of them has ended (pooling is
 * off: the proxy closes each after its one request). What the backend saw for an exchange is then
 * final.
 */
final class WireHarness implements AutoCloseable {

    /** Socket read timeout of the test client: only keeps a stuck proxy from hanging the build. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(5);
    /** How long {@link #settle()} may wait before it reports the proxy as stuck. */
    static final Duration SETTLE_LIMIT = Duration.ofSeconds(15);

    final RecordingBackend backend;
    final WireProxy proxy;

    private WireHarness(RecordingBackend backend, WireProxy proxy) {
        this.backend = backend;
        this.proxy = proxy;
    }

    static WireHarness start(RecordingBackend.Responder responder) throws Exception {
        RecordingBackend backend = new RecordingBackend(responder);
        try {
            return new WireHarness(backend, WireProxy.start(backend.port()));
        } catch (Exception | Error e) {
            backend.close();
            throw e;
        }
    }

    static WireHarness start() throws Exception {
        return start((request, index) -> RecordingBackend.OK_EMPTY);
    }

    /**
     * What the client got.
     *
     * @param bytes     every byte read
     * @param responses the responses those bytes made, in order
     * @param closed    whether the proxy ended the connection (FIN or reset)
     * @param trouble   null, or why reading stopped otherwise (a timeout, bytes that are no response)
     */
    record Seen(byte[] bytes, List<RawHttp.Response> responses, boolean closed, String trouble) {

        int firstStatus() {
            return responses.isEmpty() ? -1 : responses.get(0).status();
        }

        String text() {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }

        String describe() {
            StringBuilder sb = new StringBuilder();
            if (responses.isEmpty()) {
                sb.append("no response");
            } else {
                for (RawHttp.Response r : responses) {
                    sb.append(sb.length() == 0 ? "" : ", ").append(r.status());
                }
            }
            sb.append(closed ? ", then closed" : ", connection left open");
            if (trouble != null) {
                sb.append(" (").append(trouble).append(')');
            }
            sb.append(", received: ").append(StrictHttpParser.Escape.bytes(bytes, 0, Math.min(bytes.length, 300)));
            return sb.toString();
        }
    }

    /** How long to read. */
    enum Read {
        /** Up to the given number of responses, or the close. */
        RESPONSES,
        /**
         * Up to the given number of responses; after a refusal (400 or above) that says
         * {@code Connection: close}, on until the proxy closes.
         */
        REFUSAL_CLOSES,
        /** Until the proxy closes, whatever came. */
        UNTIL_CLOSE
    }

    /** When to stop reading: asked before each response with those read so far; reading also stops at the close. */
    @FunctionalInterface
    interface Stop {
        boolean now(List<RawHttp.Response> soFar);
    }

    /** Whether {@code r} says {@code Connection: close}. */
    static boolean saysClose(RawHttp.Response r) {
        return "close".equalsIgnoreCase(String.valueOf(r.header("Connection")));
    }

    /**
     * Sends {@code request} on a new connection and reads what {@code read} says, then closes the
     * connection and {@link #settle settles}.
     */
    Seen exchange(byte[] request, int responses, Read read) throws Exception {
        return exchange(request, got -> switch (read) {
            case RESPONSES -> got.size() >= responses;
            case UNTIL_CLOSE -> false;
            case REFUSAL_CLOSES -> {
                // A refusal that says it closes must close; one that does not (a proxy answering for a
                // failed backend keeps the client's connection) is not waited on.
                if (got.stream().anyMatch(r -> r.status() >= 400 && saysClose(r))) {
                    yield false;
                }
                yield (!got.isEmpty() && got.get(got.size() - 1).status() >= 400) || got.size() >= responses;
            }
        });
    }

    /** Sends {@code request} on a new connection, reads until {@code stop} or the close, closes, {@link #settle settles}. */
    Seen exchange(byte[] request, Stop stop) throws Exception {
        List<RawHttp.Response> got = new ArrayList<>();
        boolean closed = false;
        String trouble = null;
        Tee tee;
        try (Socket s = RawHttp.connect(proxy.port(), READ_TIMEOUT)) {
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            tee = new Tee(s.getInputStream());
            InputStream in = new BufferedInputStream(tee);
            while (!stop.now(got)) {
                RawHttp.Response r;
                try {
                    r = RawHttp.readResponse(in);
                } catch (SocketTimeoutException e) {
                    trouble = "neither an answer nor a close within " + READ_TIMEOUT.toSeconds() + " s";
                    break;
                } catch (EOFException e) {
                    closed = true;
                    if (e.getMessage() == null || !e.getMessage().startsWith("connection closed before a response")) {
                        trouble = "closed mid-response: " + e.getMessage();
                    }
                    break;
                } catch (SocketException e) {
                    closed = true;
                    break;
                } catch (IOException e) {
                    trouble = "unreadable answer: " + e.getMessage();
                    break;
                }
                got.add(r);
            }
        }
        settle();
        return new Seen(tee.bytes(), List.copyOf(got), closed, trouble);
    }

    Seen exchange(String request, int responses, Read read) throws Exception {
        return exchange(request.getBytes(StandardCharsets.ISO_8859_1), responses, read);
    }

    /** The backend connections from {@code mark} (a {@code backend.accepted()} taken before) that carried any byte. */
    List<RecordingBackend.Connection> reached(int mark) {
        List<RecordingBackend.Connection> out = new ArrayList<>();
        for (RecordingBackend.Connection c : backend.since(mark)) {
            if (c.bytes().length > 0) {
                out.add(c);
            }
        }
        return out;
    }

    /** Waits until the proxy and the backend are quiet (see the class comment); fails after {@link #SETTLE_LIMIT}. */
    void settle() throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE_LIMIT.toNanos();
        while (true) {
            double clients = proxy.clientConnections();
            double inUse = proxy.upstreamInUse();
            double connects = proxy.upstreamConnects();
            int accepted = backend.accepted();
            int open = backend.open();
            if (clients == 0 && inUse == 0 && accepted >= connects && open == 0) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the proxy did not go quiet within " + SETTLE_LIMIT.toSeconds() + " s: client connections "
                        + clients + ", upstream in use " + inUse + ", upstream connects " + connects + ", backend accepted "
                        + accepted + ", backend connections open " + open);
            }
            Thread.sleep(1);
        }
    }

    @Override
    public void close() {
        try {
            proxy.close();
        } finally {
            try {
                backend.close();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    /** Keeps a copy of every byte read through it. */
    private static final class Tee extends FilterInputStream {
        private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

        Tee(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int c = super.read();
            if (c >= 0) {
                copy.write(c);
            }
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                copy.write(b, off, n);
            }
            return n;
        }

        byte[] bytes() {
            return copy.toByteArray();
        }
    }
}
