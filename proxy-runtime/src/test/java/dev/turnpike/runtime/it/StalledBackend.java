package dev.turnpike.runtime.it;

import dev.turnpike.testing.DeterministicBytes;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A plain-socket HTTP/1.1 backend that, on its first connection, reads nothing for a while before
 * taking the request (head, then a {@code Content-Length} body, hashed as it is read) and answering
 * 200 with {@code Connection: close}: to see whether the proxy stops reading its client while the
 * backend does not read. Later connections are answered at once (the same way, without the stall).
 * The accepted sockets have a small receive buffer, so the kernel absorbs little of the stall.
 */
final class StalledBackend implements AutoCloseable {

    /** What the first connection's request carried. */
    record Received(String head, long bytes, String sha256) {
    }

    private final ServerSocket server;
    private final long stallMillis;
    private final CompletableFuture<Received> first = new CompletableFuture<>();
    private final Thread acceptor;

    StalledBackend(long stallMillis) throws IOException {
        this.stallMillis = stallMillis;
        server = new ServerSocket();
        server.setReceiveBufferSize(64 * 1024); // inherited by accepted sockets
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        acceptor = new Thread(this::acceptLoop, "stalled-backend");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** The first request, once fully read. */
    Received received(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        return first.get(timeout, unit);
    }

    /** What became of the first connection so far, for failure messages. */
    String outcome() {
        if (!first.isDone()) {
            return "first request not (yet) fully read";
        }
        try {
            return first.getNow(null).toString();
        } catch (RuntimeException e) {
            return "failed: " + e.getCause();
        }
    }

    private void acceptLoop() {
        boolean isFirst = true;
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                s.setSoTimeout(30_000);
                if (isFirst) {
                    isFirst = false;
                    Thread.sleep(stallMillis);
                    first.complete(serve(s));
                } else {
                    serve(s);
                }
            } catch (SocketException closed) {
                first.completeExceptionally(closed);
                return;
            } catch (IOException | RuntimeException e) {
                first.completeExceptionally(e);
            } catch (InterruptedException e) {
                first.completeExceptionally(e);
                return;
            }
        }
    }

    private static Received serve(Socket s) throws IOException {
        InputStream in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
        String head = readHead(in);
        long length = contentLength(head);
        MessageDigest digest = DeterministicBytes.sha256();
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        while (total < length) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, length - total));
            if (n < 0) {
                throw new IOException("the body ended after " + total + " of " + length + " bytes");
            }
            digest.update(buf, 0, n);
            total += n;
        }
        OutputStream out = s.getOutputStream();
        out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return new Received(head, total, HexFormat.of().formatHex(digest.digest()));
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection ended inside the request head: " + head);
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
            if (head.size() > 64 * 1024) {
                throw new IOException("request head over 64 KiB");
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static long contentLength(String head) throws IOException {
        for (String line : head.split("\r\n")) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("transfer-encoding:")) {
                throw new IOException("this backend reads Content-Length bodies only; got " + line);
            }
            if (lower.startsWith("content-length:")) {
                return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return 0;
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
