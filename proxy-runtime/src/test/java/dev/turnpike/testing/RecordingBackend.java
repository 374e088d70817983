package dev.turnpike.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw backend for the wire tests: a blocking {@link ServerSocket} on 127.0.0.1 that keeps every
 * byte each connection brought, reads it with {@link StrictHttpParser}, and answers each complete
 * request with what a {@link Responder} says (by default {@code 200} with {@code Content-Length: 0});
 * bytes the strict parser refuses get {@link #REFUSED}.
 * It reads each connection to its end, also after answering, so bytes a proxy sends after a
 * request (a smuggled one) are seen too. Every connection has its own daemon thread.
 */
public final class RecordingBackend implements AutoCloseable {

    /** Bytes to answer with; {@code close}: then half-close (the backend keeps reading to the end). */
    public record Reply(byte[] bytes, boolean close) {
        public static Reply of(String ascii, boolean close) {
            return new Reply(ascii.getBytes(StandardCharsets.ISO_8859_1), close);
        }
    }

    /** What to answer the {@code index}-th complete request of a connection with. */
    @FunctionalInterface
    public interface Responder {
        Reply reply(StrictHttpParser.Message request, int index);
    }

    public static final Reply OK_EMPTY = Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false);

    /**
     * The answer to bytes {@link StrictHttpParser} refuses, after which the connection only reads:
     * a distinct status so that a client behind a proxy can tell it from the proxy's own refusal.
     */
    public static final Reply REFUSED = Reply.of(
            "HTTP/1.1 421 Backend Refused Malformed Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", true);

    /** One accepted connection. */
    public static final class Connection {
        private final int id;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private volatile boolean ended;

        Connection(int id) {
            this.id = id;
        }

        /** Accept order, from 0. */
        public int id() {
            return id;
        }

        /** Every byte received so far. */
        public synchronized byte[] bytes() {
            return bytes.toByteArray();
        }

        synchronized void add(byte[] b, int n) {
            bytes.write(b, 0, n);
        }

        /** Whether the peer ended the connection (FIN or reset): {@link #bytes()} is final. */
        public boolean ended() {
            return ended;
        }

        /** What the bytes hold, for requests. */
        public StrictHttpParser.Result requests() {
            return StrictHttpParser.parseRequests(bytes());
        }

        @Override
        public String toString() {
            return "backend connection " + id + (ended ? " (ended)" : " (open)") + ": " + StrictHttpParser.Escape.bytes(bytes());
        }
    }

    private final ServerSocket server;
    private volatile Responder responder;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final AtomicInteger open = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "recording-backend");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    public RecordingBackend() throws IOException {
        this((request, index) -> OK_EMPTY);
    }

    public RecordingBackend(Responder responder) throws IOException {
        this.responder = responder;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        threads.execute(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Replaces the responder for the requests read from now on. */
    public void responder(Responder responder) {
        this.responder = responder;
    }

    /** Connections accepted so far. */
    public int accepted() {
        return connections.size();
    }

    /** Accepted connections the peer has not ended yet. */
    public int open() {
        return open.get();
    }

    /** The connections accepted from index {@code mark} on (a {@link #accepted()} value taken earlier). */
    public List<Connection> since(int mark) {
        List<Connection> all = new ArrayList<>(connections);
        return all.subList(Math.min(mark, all.size()), all.size());
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return;
            }
            Connection c = new Connection(connections.size());
            sockets.add(s);
            open.incrementAndGet();
            connections.add(c);
            threads.execute(() -> serve(s, c));
        }
    }

    private void serve(Socket s, Connection c) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[16 * 1024];
            int answered = 0;
            boolean done = false; // answered with close, or the bytes went wrong: read on, answer nothing
            while (true) {
                int r;
                try {
                    r = in.read(buf);
                } catch (IOException reset) {
                    break;
                }
                if (r < 0) {
                    break;
                }
                c.add(buf, r);
                if (done) {
                    continue;
                }
                StrictHttpParser.Result parsed = c.requests();
                List<StrictHttpParser.Message> complete = parsed.messages();
                while (!done && answered < complete.size()) {
                    Reply reply = responder.reply(complete.get(answered), answered);
                    answered++;
                    try {
                        out.write(reply.bytes());
                        out.flush();
                        if (reply.close()) {
                            s.shutdownOutput();
                            done = true;
                        }
                    } catch (IOException e) {
                        done = true;
                    }
                }
                if (parsed.isError() && !done) {
                    // What a strict backend does with bytes it cannot read: refuse, and read no further request.
                    try {
                        out.write(REFUSED.bytes());
                        out.flush();
                        s.shutdownOutput();
                    } catch (IOException ignored) {
                        // the peer left
                    }
                    done = true;
                }
            }
        } catch (IOException ignored) {
            // the connection is over either way
        } finally {
            c.ended = true;
            open.decrementAndGet();
            sockets.remove(s);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
        threads.shutdownNow();
    }
}
