package dev.turnpike.runtime.l4;

import dev.turnpike.runtime.l4.ProxyHeaderReader.MalformedHeader;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP echo backend on 127.0.0.1 (an ephemeral port) for tests of the PROXY protocol: on each
 * connection it reads the header by hand ({@link ProxyHeaderReader}, not Netty's decoder, so that it
 * checks our encoder independently), records what it read, then sends back every further byte until
 * the client half-closes, and closes. A connection whose header does not parse is recorded as
 * {@link Refused} and closed without echoing anything. {@link #plain()} makes one that expects no
 * header and echoes from the first byte, records nothing but the connection count.
 *
 * <p>Plain JDK sockets, a thread per connection: a test backend should share nothing with the code
 * under test. Everything it records can be read from any thread.
 */
public final class ProxyProtocolBackend implements AutoCloseable {

    /** How long a connection may take to deliver its whole header (the spec suggests at least 3 s). */
    static final Duration HEADER_TIMEOUT = Duration.ofSeconds(5);
    /** How long the echo waits for the next byte before it gives the connection up. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

    /** What a connection began with: a header that parsed, or one that did not. */
    public sealed interface Arrival permits Header, Refused {
    }

    /**
     * A header as read.
     *
     * @param version       1 or 2
     * @param command       {@code PROXY}, or {@code LOCAL} (v2 only)
     * @param family        v1: {@code TCP4}, {@code TCP6} or {@code UNKNOWN}; v2: {@code TCP4},
     *                      {@code TCP6}, {@code UDP4}, {@code UDP6}, {@code UNIX_STREAM},
     *                      {@code UNIX_DGRAM} or {@code UNSPEC}
     * @param source        the client's address and port it announces; {@code null} for UNKNOWN,
     *                      LOCAL, UNSPEC and UNIX. An IPv4-mapped one comes out as IPv4, as the JDK
     *                      maps it ({@code family} still says how it was written)
     * @param destination   the address and port the client connected to, likewise
     * @param skippedBytes  v2: bytes of the header left uninterpreted (TLVs; all of a LOCAL or
     *                      UNSPEC block); v1: 0
     * @param raw           v1: the line without its CRLF; v2: the whole header in hex
     */
    public record Header(int version, String command, String family, InetSocketAddress source,
                         InetSocketAddress destination, int skippedBytes, String raw) implements Arrival {
    }

    /**
     * A connection whose header did not parse.
     *
     * @param reason what was wrong
     * @param raw    the bytes read up to there, printable ASCII as is and the rest as {@code \xNN}
     */
    public record Refused(String reason, String raw) implements Arrival {
    }

    private final boolean expectHeader;
    private final ServerSocket server;
    private final ExecutorService connections;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Arrival> arrivals = new ArrayList<>(); // guarded by itself

    private ProxyProtocolBackend(boolean expectHeader) throws IOException {
        this.expectHeader = expectHeader;
        server = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
        AtomicInteger n = new AtomicInteger();
        connections = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "proxy-protocol-backend-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        Thread acceptor = new Thread(this::acceptLoop, "proxy-protocol-backend-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A backend that expects a PROXY header, v1 or v2, on every connection. */
    public static ProxyProtocolBackend withProxyProtocol() throws IOException {
        return new ProxyProtocolBackend(true);
    }

    /** A backend that expects no header: it echoes every byte, a header's too. */
    public static ProxyProtocolBackend plain() throws IOException {
        return new ProxyProtocolBackend(false);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** 127.0.0.1 and {@link #port()}. */
    public InetSocketAddress address() {
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    /** Connections accepted so far. */
    public int connections() {
        return accepted.get();
    }

    /** What the connections so far began with, in the order their headers were read (a copy). */
    public List<Arrival> arrivals() {
        synchronized (arrivals) {
            return List.copyOf(arrivals);
        }
    }

    /** The headers that parsed, in order. */
    public List<Header> headers() {
        return arrivals().stream().filter(Header.class::isInstance).map(Header.class::cast).toList();
    }

    /** The connections refused, in order. */
    public List<Refused> refusals() {
        return arrivals().stream().filter(Refused.class::isInstance).map(Refused.class::cast).toList();
    }

    /**
     * Waits until at least {@code count} connections have been recorded, and returns what was
     * recorded. A header is recorded before any of its connection's bytes are echoed, and a refusal
     * before its connection is closed, so a client that has seen either needs no wait.
     */
    public List<Arrival> awaitArrivals(int count, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (arrivals) {
            while (arrivals.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException(arrivals.size() + " of " + count + " arrivals after " + timeout + ": " + arrivals);
                }
                TimeUnit.NANOSECONDS.timedWait(arrivals, left);
            }
            return List.copyOf(arrivals);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            closeQuietly(s);
        }
        connections.shutdownNow();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException closed) {
                return;
            }
            accepted.incrementAndGet();
            open.add(s);
            try {
                connections.execute(() -> serve(s));
            } catch (RuntimeException shutDown) {
                open.remove(s);
                closeQuietly(s);
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            if (expectHeader && !header(s, in)) {
                return;
            }
            s.setSoTimeout((int) IDLE_TIMEOUT.toMillis());
            echo(in, s.getOutputStream());
        } catch (IOException gone) {
            // the client reset, or the backend is closing: nothing to record past the header
        } finally {
            open.remove(s);
        }
    }

    /** Reads and records the header; false when it was refused (the connection is then done). */
    private boolean header(Socket s, InputStream in) throws IOException {
        s.setSoTimeout((int) HEADER_TIMEOUT.toMillis());
        ProxyHeaderReader reader = new ProxyHeaderReader(in);
        try {
            record(reader.read());
            return true;
        } catch (MalformedHeader e) {
            refuse(s, in, e.getMessage(), reader.seen());
        } catch (SocketTimeoutException e) {
            refuse(s, in, "no complete header within " + HEADER_TIMEOUT.toSeconds() + " s", reader.seen());
        }
        return false;
    }

    /**
     * Records the refusal, then ends the connection with a FIN and reads the rest away before
     * closing: closed with unread input, the socket would send a reset, and whether the client then
     * read an end or a reset would be a race.
     */
    private void refuse(Socket s, InputStream in, String reason, byte[] seen) throws IOException {
        record(new Refused(reason, ProxyHeaderReader.escaped(seen)));
        s.shutdownOutput();
        try {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (SocketTimeoutException e) {
            // the client kept its side open: close anyway
        }
    }

    private static void echo(InputStream in, OutputStream out) throws IOException {
        byte[] buf = new byte[16 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) {
            out.write(buf, 0, n);
            out.flush();
        }
    }

    private void record(Arrival a) {
        synchronized (arrivals) {
            arrivals.add(a);
            arrivals.notifyAll();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing: nothing left to do
        }
    }
}
