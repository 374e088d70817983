package dev.turnpike.testing;

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
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A raw HTTP/1.1 backend that switches protocols, for tunnel tests: blocking sockets on 127.0.0.1
 * (optionally TLS), a thread per connection, nothing but what a test needs to see bytes cross a
 * tunnel. It reads request heads (and skips {@code Content-Length} bodies) on a keep-alive
 * connection; what it does depends on the path:
 *
 * <ul>
 *   <li>{@code /refuse...} with {@code Upgrade}: {@code 426 Upgrade Required} with body
 *       {@value #REFUSED} ({@code Content-Length}, keep-alive): the connection stays HTTP.</li>
 *   <li>{@code /switch-anyway...}: {@code 101} whatever the request asked (even without
 *       {@code Upgrade}), then the echo.</li>
 *   <li>{@code /switch-bare...} with {@code Upgrade}: a {@code 101} that names no protocol (no
 *       {@code Upgrade} field), then the echo.</li>
 *   <li>{@code /source/<n>} with {@code Upgrade: echo-test}: the 101, then {@code n} bytes of
 *       {@link #pattern} as fast as the connection takes them (a thread of its own) while every byte
 *       that comes in is counted and digested; once both are done (the input at its end, the
 *       {@code n} bytes written) the line {@code DIGEST <in-count> <in-sha256> <out-sha256>\n}, then
 *       a half-close and the close (a query after {@code <n>} is ignored). {@code /sink} is
 *       {@code /source/0}. While {@link #holdReads()} is in force, these connections read nothing
 *       (their peer's writes then back up).</li>
 *   <li>{@code /after-eof/<n>} with {@code Upgrade: echo-test}: the 101, then it reads (and counts)
 *       everything until the end of input, and only then sends {@code n} bytes of {@link #pattern},
 *       a half-close and the close: an answer that comes after the client's half-close.</li>
 *   <li>{@code /close-first} with {@code Upgrade: echo-test}: the 101, {@value #FIRST}, a
 *       half-close at once, then it reads (and counts) everything until the end of input (also held
 *       by {@link #holdReads()}).</li>
 *   <li>any other path with {@code Upgrade: echo-test}: the 101 ({@link #SWITCHED}), then every byte
 *       back as it comes (never more than one read's worth held); at the end of input
 *       {@link #BYE}, a half-close (over TLS, which has none, a close) and the close.</li>
 *   <li>anything else: {@code 200} with body {@code plain <path>\n}, keep-alive.</li>
 * </ul>
 *
 * Every request head is recorded as received ({@link #heads()}), and each switched connection's
 * byte counts ({@link #tunnels()}).
 */
public final class UpgradeEchoBackend implements AutoCloseable {

    public static final String PROTOCOL = "echo-test";
    /** The switch, as sent. */
    public static final String SWITCHED = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: " + PROTOCOL
            + "\r\nConnection: Upgrade\r\n\r\n";
    /** What the echo sends after the end of its input, before its half-close. */
    public static final String BYE = "BYE\n";
    public static final String REFUSED = "upgrade refused\n";
    /** What {@code /close-first} sends before its half-close. */
    public static final String FIRST = "FIRST\n";

    /** The period of {@link #pattern}: a prime, so no power-of-two chunking lines up with it. */
    private static final int PERIOD = 1_000_003;
    private static final byte[] TABLE = new byte[PERIOD + 128 * 1024];

    static {
        DeterministicBytes.fill(DeterministicBytes.DEFAULT_SEED, 0, TABLE, 0, PERIOD);
        System.arraycopy(TABLE, 0, TABLE, PERIOD, TABLE.length - PERIOD);
    }

    private final ServerSocket server;
    private final boolean tls;
    private final Thread acceptor;
    private final List<String> heads = new CopyOnWriteArrayList<>();
    private final List<Tunnel> tunnels = new CopyOnWriteArrayList<>();
    private final LinkedBlockingQueue<Tunnel> opened = new LinkedBlockingQueue<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong connections = new AtomicLong();
    private volatile boolean closed;
    private volatile java.util.concurrent.CountDownLatch readGate;

    /** A cleartext backend. */
    public UpgradeEchoBackend() throws IOException {
        this(null);
    }

    /** A TLS backend presenting {@code certificate} (with its chain); {@code null}: cleartext. */
    public UpgradeEchoBackend(TestPki.Issued certificate) throws IOException {
        InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (certificate == null) {
            server = new ServerSocket();
            tls = false;
        } else {
            SSLServerSocket s = (SSLServerSocket) serverContext(certificate).getServerSocketFactory().createServerSocket();
            server = s;
            tls = true;
        }
        server.bind(at, 64);
        acceptor = new Thread(this::accept, "upgrade-echo-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private static SSLContext serverContext(TestPki.Issued certificate) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] password = "changeit".toCharArray();
            ks.setKeyEntry("server", certificate.key(), password, certificate.chain().toArray(X509Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** {@code 127.0.0.1:<port>}. */
    public String hostPort() {
        return "127.0.0.1:" + port();
    }

    /** Every request head received, as received (CRLFs included), in order of arrival. */
    public List<String> heads() {
        return Collections.unmodifiableList(heads);
    }

    /** Connections accepted so far. */
    public long connections() {
        return connections.get();
    }

    /** The connections switched so far, in order. */
    public List<Tunnel> tunnels() {
        return Collections.unmodifiableList(tunnels);
    }

    /** Waits for the next connection to switch (at most {@code seconds}); fails when none does. */
    public Tunnel nextTunnel(long seconds) throws InterruptedException {
        Tunnel t = opened.poll(seconds, TimeUnit.SECONDS);
        if (t == null) {
            throw new AssertionError("no connection switched protocols within " + seconds + " s; heads seen: " + heads);
        }
        return t;
    }

    /** From now on {@code /source/<n>}, {@code /sink} and {@code /close-first} connections read nothing, until {@link #releaseReads()}. */
    public void holdReads() {
        readGate = new java.util.concurrent.CountDownLatch(1);
    }

    /** Lets {@code /source/<n>} and {@code /sink} connections read again. */
    public void releaseReads() {
        java.util.concurrent.CountDownLatch g = readGate;
        readGate = null;
        if (g != null) {
            g.countDown();
        }
    }

    private void awaitReadGate() throws InterruptedException {
        java.util.concurrent.CountDownLatch g = readGate;
        if (g != null) {
            g.await();
        }
    }

    /** Waits for the connection switched by a request for exactly {@code path} (at most {@code seconds}). */
    public Tunnel awaitTunnel(String path, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            for (Tunnel t : tunnels) {
                if (t.path().equals(path)) {
                    return t;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no connection switched for " + path + " within " + seconds + " s; tunnels: " + tunnels);
    }

    /** Byte {@code i} of what {@code /source/<n>} sends. */
    public static byte patternByte(long i) {
        return TABLE[(int) (i % PERIOD)];
    }

    /** Fills {@code dst[off, off+len)} with bytes {@code [offset, offset+len)} of the pattern. */
    public static void pattern(long offset, byte[] dst, int off, int len) {
        while (len > 0) {
            int at = (int) (offset % PERIOD);
            int n = Math.min(len, TABLE.length - at);
            System.arraycopy(TABLE, at, dst, off, n);
            offset += n;
            off += n;
            len -= n;
        }
    }

    /** One switched connection, seen from the backend. */
    public static final class Tunnel {
        private final String path;
        private final AtomicLong received = new AtomicLong();
        private final AtomicLong sent = new AtomicLong();
        private final java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
        private volatile boolean inputEnded;
        private volatile String endedBy;

        Tunnel(String path) {
            this.path = path;
        }

        public String path() {
            return path;
        }

        /** Bytes read after the switch. */
        public long received() {
            return received.get();
        }

        /** Bytes written after the switch (counted once each write call returns). */
        public long sent() {
            return sent.get();
        }

        /** Whether the backend read the end of its input (the proxy's half-close or close). */
        public boolean inputEnded() {
            return inputEnded;
        }

        /** How the backend's side ended: "eof" (end of input), or the exception; null while open. */
        public String endedBy() {
            return endedBy;
        }

        /** Waits until the backend's side of this tunnel is closed; @return whether it is. */
        public boolean awaitEnd(long seconds) throws InterruptedException {
            return ended.await(seconds, TimeUnit.SECONDS);
        }

        @Override
        public String toString() {
            return "Tunnel[" + path + ", received " + received + ", sent " + sent + ", ended by " + endedBy + "]";
        }
    }

    private void accept() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            connections.incrementAndGet();
            open.add(s);
            Thread t = new Thread(() -> serve(s), "upgrade-echo-" + s.getPort());
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                heads.add(head);
                String[] lines = head.split("\r\n");
                String[] requestLine = lines[0].split(" ");
                String path = requestLine.length > 1 ? requestLine[1] : "/";
                String upgrade = field(lines, "upgrade");
                String length = field(lines, "content-length");
                if (length != null) {
                    in.skipNBytes(Long.parseLong(length.trim()));
                }
                boolean asked = upgrade != null && upgrade.trim().equalsIgnoreCase(PROTOCOL);
                if (path.startsWith("/switch-anyway")) {
                    write(out, SWITCHED);
                    echo(s, in, out, new Tunnel(path));
                    return;
                }
                if (upgrade != null && path.startsWith("/refuse")) {
                    write(out, "HTTP/1.1 426 Upgrade Required\r\nUpgrade: " + PROTOCOL + "\r\nConnection: Upgrade\r\n"
                            + "Content-Type: text/plain\r\nContent-Length: " + REFUSED.length() + "\r\n\r\n" + REFUSED);
                    continue;
                }
                if (upgrade != null && path.startsWith("/switch-bare")) {
                    write(out, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n");
                    echo(s, in, out, new Tunnel(path));
                    return;
                }
                if (asked && (path.startsWith("/source/") || path.equals("/sink") || path.startsWith("/sink?"))) {
                    write(out, SWITCHED);
                    String count = path.startsWith("/sink") ? "0" : path.substring("/source/".length()).split("\\?")[0];
                    long n = Long.parseLong(count);
                    sourceAndSink(s, in, out, new Tunnel(path), n);
                    return;
                }
                if (asked && path.startsWith("/after-eof/")) {
                    write(out, SWITCHED);
                    afterEof(s, in, out, new Tunnel(path), Long.parseLong(path.substring("/after-eof/".length()).split("\\?")[0]));
                    return;
                }
                if (asked && path.startsWith("/close-first")) {
                    write(out, SWITCHED);
                    closeFirst(s, in, out, new Tunnel(path));
                    return;
                }
                if (asked) {
                    write(out, SWITCHED);
                    echo(s, in, out, new Tunnel(path));
                    return;
                }
                String body = "plain " + path + "\n";
                write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            }
        } catch (IOException e) {
            // the peer went away: nothing to answer
        } finally {
            open.remove(s);
        }
    }

    private void switched(Tunnel t) {
        tunnels.add(t);
        opened.add(t);
    }

    private void echo(Socket s, InputStream in, OutputStream out, Tunnel t) throws IOException {
        switched(t);
        byte[] buf = new byte[64 * 1024];
        try {
            while (true) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                t.received.addAndGet(n);
                out.write(buf, 0, n);
                out.flush();
                t.sent.addAndGet(n);
            }
            t.inputEnded = true;
            write(out, BYE);
            t.sent.addAndGet(BYE.length());
            halfClose(s);
            t.endedBy = "eof";
        } catch (IOException e) {
            t.endedBy = e.toString();
            throw e;
        } finally {
            t.ended.countDown();
        }
    }

    private void sourceAndSink(Socket s, InputStream in, OutputStream out, Tunnel t, long n) throws IOException {
        switched(t);
        MessageDigest outDigest = DeterministicBytes.sha256();
        Throwable[] sendFailure = new Throwable[1];
        Thread sender = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try {
                for (long pos = 0; pos < n; ) {
                    int len = (int) Math.min(buf.length, n - pos);
                    pattern(pos, buf, 0, len);
                    out.write(buf, 0, len);
                    outDigest.update(buf, 0, len);
                    pos += len;
                    t.sent.addAndGet(len);
                }
                out.flush();
            } catch (Throwable e) {
                sendFailure[0] = e;
            }
        }, "upgrade-echo-source-" + s.getPort());
        sender.setDaemon(true);
        sender.start();
        MessageDigest inDigest = DeterministicBytes.sha256();
        byte[] buf = new byte[64 * 1024];
        try {
            while (true) {
                awaitReadGate();
                int r = in.read(buf);
                if (r < 0) {
                    break;
                }
                inDigest.update(buf, 0, r);
                t.received.addAndGet(r);
            }
            t.inputEnded = true;
            sender.join();
            if (sendFailure[0] != null) {
                t.endedBy = "send failed: " + sendFailure[0];
                return;
            }
            write(out, "DIGEST " + t.received() + " " + HexFormat.of().formatHex(inDigest.digest()) + " "
                    + HexFormat.of().formatHex(outDigest.digest()) + "\n");
            halfClose(s);
            t.endedBy = "eof";
        } catch (IOException e) {
            t.endedBy = e.toString();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            t.endedBy = e.toString();
        } finally {
            t.ended.countDown();
        }
    }

    private void afterEof(Socket s, InputStream in, OutputStream out, Tunnel t, long n) throws IOException {
        switched(t);
        try {
            byte[] buf = new byte[64 * 1024];
            while (true) {
                int r = in.read(buf);
                if (r < 0) {
                    break;
                }
                t.received.addAndGet(r);
            }
            t.inputEnded = true;
            for (long pos = 0; pos < n; ) {
                int len = (int) Math.min(buf.length, n - pos);
                pattern(pos, buf, 0, len);
                out.write(buf, 0, len);
                pos += len;
                t.sent.addAndGet(len);
            }
            out.flush();
            halfClose(s);
            t.endedBy = "eof";
        } catch (IOException e) {
            t.endedBy = e.toString();
            throw e;
        } finally {
            t.ended.countDown();
        }
    }

    private void closeFirst(Socket s, InputStream in, OutputStream out, Tunnel t) throws IOException {
        switched(t);
        try {
            write(out, FIRST);
            t.sent.addAndGet(FIRST.length());
            halfClose(s);
            byte[] buf = new byte[64 * 1024];
            while (true) {
                awaitReadGate();
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                t.received.addAndGet(n);
            }
            t.inputEnded = true;
            t.endedBy = "eof";
        } catch (IOException e) {
            t.endedBy = e.toString();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            t.endedBy = e.toString();
        } finally {
            t.ended.countDown();
        }
    }

    private void halfClose(Socket s) throws IOException {
        if (!(s instanceof SSLSocket)) {
            s.shutdownOutput(); // TLS has no half-close: the socket's close (close_notify) ends it
        }
    }

    private static void write(OutputStream out, String ascii) throws IOException {
        out.write(ascii.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** The value of the first field {@code name} (lower case), or null. */
    private static String field(String[] lines, String name) {
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0 && lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
                return lines[i].substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** A head up to and including its empty line, or null at the end of input before any byte. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream(512);
        int last4 = 0; // the last four bytes read, the newest lowest
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) {
                    return null;
                }
                throw new IOException("end of input inside a head: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
            if (head.size() > 64 * 1024) {
                throw new IOException("head too long");
            }
            last4 = (last4 << 8) | b;
            if (last4 == 0x0D0A0D0A) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
    }

    /** Lower-case {@code name: value} of every field of head {@code i} (for assertion messages and checks). */
    public List<String> fields(int i) {
        List<String> out = new ArrayList<>();
        String[] lines = heads.get(i).split("\r\n");
        for (int l = 1; l < lines.length; l++) {
            int colon = lines[l].indexOf(':');
            if (colon > 0) {
                out.add(lines[l].substring(0, colon).trim().toLowerCase(Locale.ROOT) + ": " + lines[l].substring(colon + 1).trim());
            }
        }
        return out;
    }

    @Override
    public void close() {
        closed = true;
        releaseReads();
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        try {
            acceptor.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "UpgradeEchoBackend[" + hostPort() + (tls ? ", tls" : "") + "]";
    }
}
