package dev.turnpike.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for tests that must control the bytes: malformed or smuggling-shaped
 * requests, pipelining, half-sent requests. No HTTP client would send those.
 */
public final class RawHttp {

    private static final int MAX_LINE = 64 * 1024;

    private RawHttp() {
    }

    /** What came back from {@link #exchange}: every byte read, and whether the peer closed the connection. */
    public record Exchange(byte[] bytes, boolean closedByPeer) {
        /** The bytes as ISO-8859-1 text: one char per byte, so nothing is lost or reinterpreted. */
        public String text() {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    /**
     * One parsed response. Header names keep their case; look-ups ignore it.
     *
     * @param body the body after de-chunking ({@code chunked} tells whether it came chunked)
     * @param trailers trailer fields of a chunked body, else empty
     */
    public record Response(String version, int status, String reason, List<Map.Entry<String, String>> headers,
                           byte[] body, boolean chunked, List<Map.Entry<String, String>> trailers) {

        /** The first value of header {@code name}, or null. */
        public String header(String name) {
            List<String> values = headers(name);
            return values.isEmpty() ? null : values.get(0);
        }

        /** Every value of header {@code name}, in order. */
        public List<String> headers(String name) {
            return valuesOf(headers, name);
        }

        /** The body as UTF-8 text. */
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A socket connected to 127.0.0.1:{@code port} whose reads time out after {@code readTimeout}. */
    public static Socket connect(int port, Duration readTimeout) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout((int) Math.max(1, readTimeout.toMillis()));
        socket.setTcpNoDelay(true);
        return socket;
    }

    /** Writes {@code ascii} (ISO-8859-1, so {@code \r\n} and any byte go out as written) and flushes. */
    public static void send(Socket socket, String ascii) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(ascii.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** {@link #exchange(int, byte[], Duration)} with the request as ISO-8859-1 text. */
    public static Exchange exchange(int port, String request, Duration timeout) throws IOException {
        return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1), timeout);
    }

    /**
     * Connects, sends {@code request} and reads until the peer closes the connection or
     * {@code timeout} (in all) has passed; a timeout is not an error, it shows in
     * {@link Exchange#closedByPeer()}. The socket's output stays open: a proxy must not need a
     * half-close to answer.
     */
    public static Exchange exchange(int port, byte[] request, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Socket socket = connect(port, timeout)) {
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            byte[] buffer = new byte[16 * 1024];
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return new Exchange(received.toByteArray(), false);
                }
                socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
                int n;
                try {
                    n = in.read(buffer);
                } catch (SocketTimeoutException e) {
                    return new Exchange(received.toByteArray(), false);
                } catch (IOException e) {
                    // A reset is also the peer ending the connection; keep what arrived before it.
                    return new Exchange(received.toByteArray(), true);
                }
                if (n < 0) {
                    return new Exchange(received.toByteArray(), true);
                }
                received.write(buffer, 0, n);
            }
        }
    }

    /**
     * Reads up to {@code n} bytes from {@code in} into {@code digest}, stopping early at the end of
     * the stream or a reset; returns how many came. For bodies too large to hold.
     */
    public static long digestUpTo(InputStream in, long n, java.security.MessageDigest digest) throws IOException {
        byte[] buf = new byte[16 * 1024];
        long got = 0;
        while (got < n) {
            int r;
            try {
                r = in.read(buf, 0, (int) Math.min(buf.length, n - got));
            } catch (java.net.SocketException reset) {
                return got;
            }
            if (r < 0) {
                return got;
            }
            digest.update(buf, 0, r);
            got += r;
        }
        return got;
    }

    /** {@link #readResponse(InputStream, boolean)} for a response to anything but HEAD. */
    public static Response readResponse(InputStream in) throws IOException {
        return readResponse(in, false);
    }

    /**
     * Reads exactly one response from {@code in}, leaving the stream at the first byte after it, so
     * successive calls read pipelined responses in order. Pass the same stream each time (wrap a
     * socket's stream in a {@code BufferedInputStream} once: this reads byte by byte). The body is
     * framed by {@code Transfer-Encoding: chunked}, else {@code Content-Length}, else the end of
     * the connection; 1xx, 204, 304 and answers to HEAD ({@code toHead}) have none. An interim 1xx
     * response is returned as it is: call again for the final one.
     *
     * @throws EOFException if the connection ends before a complete response
     */
    public static Response readResponse(InputStream in, boolean toHead) throws IOException {
        String statusLine = readLine(in);
        if (statusLine == null) {
            throw new EOFException("connection closed before a response");
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("not a status line: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        String reason = parts.length > 2 ? parts[2] : "";
        List<Map.Entry<String, String>> headers = readFields(in);

        boolean bodyless = toHead || status / 100 == 1 || status == 204 || status == 304;
        List<String> codings = valuesOf(headers, "Transfer-Encoding");
        boolean chunked = !bodyless && !codings.isEmpty()
                && codings.get(codings.size() - 1).toLowerCase(Locale.ROOT).trim().endsWith("chunked");
        List<String> lengths = valuesOf(headers, "Content-Length");
        List<Map.Entry<String, String>> trailers = List.of();
        byte[] body;
        if (bodyless) {
            body = new byte[0];
        } else if (chunked) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            trailers = readChunked(in, out);
            body = out.toByteArray();
        } else if (!lengths.isEmpty()) {
            int length = Integer.parseInt(lengths.get(0).trim());
            body = in.readNBytes(length);
            if (body.length < length) {
                throw new EOFException("body ended after " + body.length + " of " + length + " bytes");
            }
        } else {
            body = in.readAllBytes();
        }
        return new Response(parts[0], status, reason, List.copyOf(headers), body, chunked, trailers);
    }

    private static List<Map.Entry<String, String>> readChunked(InputStream in, ByteArrayOutputStream out) throws IOException {
        while (true) {
            String sizeLine = readLine(in);
            if (sizeLine == null) {
                throw new EOFException("chunked body ended before its last chunk");
            }
            int semicolon = sizeLine.indexOf(';');
            String hex = (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim();
            int size = Integer.parseInt(hex, 16);
            if (size == 0) {
                return readFields(in);
            }
            byte[] chunk = in.readNBytes(size);
            if (chunk.length < size) {
                throw new EOFException("chunk ended after " + chunk.length + " of " + size + " bytes");
            }
            out.write(chunk);
            String end = readLine(in);
            if (end == null || !end.isEmpty()) {
                throw new IOException("chunk of " + size + " bytes not followed by CRLF");
            }
        }
    }

    /** Header (or trailer) fields up to the empty line. */
    private static List<Map.Entry<String, String>> readFields(InputStream in) throws IOException {
        List<Map.Entry<String, String>> fields = new ArrayList<>();
        while (true) {
            String line = readLine(in);
            if (line == null) {
                throw new EOFException("connection closed inside a header section");
            }
            if (line.isEmpty()) {
                return fields;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("not a header field: " + line);
            }
            fields.add(Map.entry(line.substring(0, colon), line.substring(colon + 1).trim()));
        }
    }

    /** A line without its CRLF (a bare LF is accepted too), or null at end of stream before any byte. */
    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (line.length() == 0) {
                    return null;
                }
                throw new EOFException("connection closed mid-line: " + line);
            }
            if (b == '\n') {
                int last = line.length() - 1;
                if (last >= 0 && line.charAt(last) == '\r') {
                    line.setLength(last);
                }
                return line.toString();
            }
            if (line.length() >= MAX_LINE) {
                throw new IOException("line longer than " + MAX_LINE + " bytes");
            }
            line.append((char) b);
        }
    }

    private static List<String> valuesOf(List<Map.Entry<String, String>> fields, String name) {
        List<String> values = new ArrayList<>();
        for (Map.Entry<String, String> field : fields) {
            if (field.getKey().equalsIgnoreCase(name)) {
                values.add(field.getValue());
            }
        }
        return values;
    }
}
