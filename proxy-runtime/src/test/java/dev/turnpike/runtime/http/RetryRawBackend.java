package dev.turnpike.runtime.http;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A misbehaving backend for the retry tests: a blocking {@link ServerSocket} on 127.0.0.1 that
 * fails every connection in one chosen way before (or instead of) a response head. Counts
 * connections and request heads; every connection is served on its own daemon thread.
 */
final class RetryRawBackend implements AutoCloseable {

    enum Mode {
        /** Reads the head and up to {@code bodyBytes} of the body, then resets (RST, via SO_LINGER 0). */
        RESET,
        /** Reads the head and never answers; the connection stays open until {@link #close()}. */
        SILENT,
        /** Reads the head and answers with bytes that are not an HTTP response, then closes. */
        GARBAGE,
        /** Reads the head, sends a 200 head promising 100 bytes and 10 of them, then resets. */
        HEAD_THEN_RESET,
        /**
         * Answers the first request of a connection with a keep-alive 200 (body {@code "raw"}); on
         * reading the second request's head, closes (FIN) without answering: the idle-close race of
         * a pooled connection, made deterministic.
         */
        ANSWER_ONCE_THEN_CLOSE
    }

    private final Mode mode;
    private final long bodyBytes;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "retry-raw-backend");
        t.setDaemon(true);
        return t;
    });
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger heads = new AtomicInteger();
    private final List<String> requestLines = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /** @param bodyBytes for {@link Mode#RESET}: how much of the body (at most its Content-Length) to read before the reset */
    RetryRawBackend(Mode mode, long bodyBytes) throws IOException {
        this.mode = mode;
        this.bodyBytes = bodyBytes;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        threads.execute(this::acceptLoop);
    }

    RetryRawBackend(Mode mode) throws IOException {
        this(mode, 0);
    }

    int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far. */
    int connections() {
        return connections.get();
    }

    /** Request heads read so far (whole heads only). */
    int heads() {
        return heads.get();
    }

    List<String> requestLines() {
        return List.copyOf(requestLines);
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            connections.incrementAndGet();
            open.add(s);
            threads.execute(() -> serve(s));
        }
    }

    private void serve(Socket s) {
        try {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            switch (mode) {
                case RESET -> {
                    String head = readHead(in);
                    if (head == null) {
                        break;
                    }
                    long length = contentLength(head);
                    long toRead = Math.min(bodyBytes, Math.max(length, 0));
                    byte[] buf = new byte[8192];
                    while (toRead > 0) {
                        int n = in.read(buf, 0, (int) Math.min(buf.length, toRead));
                        if (n < 0) {
                            break;
                        }
                        toRead -= n;
                    }
                    s.setSoLinger(true, 0); // close() now sends RST, not FIN
                    s.close();
                }
                case HEAD_THEN_RESET -> {
                    if (readHead(in) == null) {
                        break;
                    }
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    s.setSoLinger(true, 0);
                    s.close();
                }
                case SILENT -> {
                    if (readHead(in) == null) {
                        break;
                    }
                    byte[] buf = new byte[8192];
                    while (in.read(buf) >= 0) {
                        // swallow whatever comes until the peer or close() ends it
                    }
                }
                case GARBAGE -> {
                    if (readHead(in) == null) {
                        break;
                    }
                    out.write("HELLO THERE FRIEND\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    s.close();
                }
                case ANSWER_ONCE_THEN_CLOSE -> {
                    String head = readHead(in);
                    if (head == null) {
                        break;
                    }
                    long length = contentLength(head);
                    in.readNBytes((int) Math.max(length, 0));
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Backend-Name: raw\r\n\r\nraw")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    readHead(in); // the second request on this connection: closed on, unanswered
                    s.close();
                }
                default -> throw new IllegalStateException(mode.toString());
            }
        } catch (IOException e) {
            // the proxy went away first: fine
        } finally {
            if (mode != Mode.SILENT || closed) {
                closeQuietly(s);
                open.remove(s);
            }
        }
    }

    /** Reads up to and including the blank line; null when the connection ends first. */
    private String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        heads.incrementAndGet();
        String text = head.toString(StandardCharsets.ISO_8859_1);
        requestLines.add(text.substring(0, text.indexOf('\r')));
        return text;
    }

    private static long contentLength(String head) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
                return Long.parseLong(line.substring(colon + 1).trim());
            }
        }
        return -1;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // nothing to do
        }
        for (Socket s : open) {
            closeQuietly(s);
        }
        threads.shutdownNow();
    }
}
