package dev.turnpike.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend that is broken in one precise way: it accepts a connection, reads the request head and
 * up to {@code bodyBytesToRead} bytes more, then resets the connection (RST, through SO_LINGER 0)
 * without answering. For the "error while proxying" path: the request reached a backend that may
 * have acted on it.
 */
public final class ResettingBackend implements AutoCloseable {

    private final ServerSocket server;
    private final int bodyBytesToRead;
    private final AtomicInteger requests = new AtomicInteger();
    private final Thread acceptor;

    public ResettingBackend(int bodyBytesToRead) throws IOException {
        this.bodyBytesToRead = bodyBytesToRead;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "resetting-backend");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Request heads read (each then reset). */
    public int requests() {
        return requests.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                s.setSoTimeout(5_000);
                InputStream in = s.getInputStream();
                int matched = 0;
                int b;
                while (matched < 4 && (b = in.read()) >= 0) {
                    matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
                }
                if (matched == 4) {
                    requests.incrementAndGet();
                }
                byte[] buf = new byte[8192];
                int left = bodyBytesToRead;
                while (left > 0) {
                    int n = in.read(buf, 0, Math.min(buf.length, left));
                    if (n < 0) {
                        break;
                    }
                    left -= n;
                }
                s.setSoLinger(true, 0);
            } catch (IOException e) {
                // closed, or the peer went away: either way on to the next connection
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
