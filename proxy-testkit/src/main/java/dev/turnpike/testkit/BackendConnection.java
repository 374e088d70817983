package dev.turnpike.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * One connection accepted by a {@link TestBackend}: reads requests (HTTP/1.1, Content-Length or
 * chunked bodies), hands each to the backend to record and script, and carries out the
 * {@link Answer}, request after request while the connection is kept alive. Runs on a thread of its
 * own; blocking I/O throughout.
 */
final class BackendConnection implements Runnable {

    private static final int MAX_HEAD = 64 << 10;

    private final Socket socket;
    private final Function<RecordedRequest, Answer> script;

    BackendConnection(Socket socket, Function<RecordedRequest, Answer> script) {
        this.socket = socket;
        this.script = script;
    }

    @Override
    public void run() {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (true) {
                RecordedRequest request = read(in);
                if (request == null) {
                    return;
                }
                Answer answer = script.apply(request);
                if (!carryOut(answer, request, in, out)) {
                    return;
                }
                if ("close".equalsIgnoreCase(request.header("Connection"))) {
                    return;
                }
            }
        } catch (IOException e) {
            // The client went away or the backend closed: nothing to answer any more.
        }
    }

    /** Returns whether the connection may carry another request. */
    private boolean carryOut(Answer answer, RecordedRequest request, InputStream in, OutputStream out) throws IOException {
        switch (answer.kind()) {
            case RESET -> {
                reset();
                return false;
            }
            case SILENCE -> {
                while (in.read() >= 0) {
                    // Hold the connection, reading (and dropping) whatever comes, until the peer or close() ends it.
                }
                return false;
            }
            default -> {
                pause(answer.headDelay().toMillis());
                return respond(answer, request, out);
            }
        }
    }

    private boolean respond(Answer answer, RecordedRequest request, OutputStream out) throws IOException {
        boolean chunked = answer.chunks() != null;
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(answer.statusCode()).append(' ')
                .append(reason(answer.statusCode())).append("\r\n");
        boolean framed = false;
        boolean close = false;
        for (String[] h : answer.headers()) {
            head.append(h[0]).append(": ").append(h[1]).append("\r\n");
            String name = h[0].toLowerCase(Locale.ROOT);
            framed |= name.equals("content-length") || name.equals("transfer-encoding");
            close |= name.equals("connection") && h[1].equalsIgnoreCase("close");
        }
        if (!framed && bodyAllowed(answer.statusCode())) {
            head.append(chunked ? "Transfer-Encoding: chunked" : "Content-Length: " + answer.body().length).append("\r\n");
        }
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        if (!request.method().equals("HEAD") && bodyAllowed(answer.statusCode())) {
            BodyWriter body = new BodyWriter(out, answer.resetAfterBytes());
            if (chunked) {
                writeChunks(answer, body);
            } else {
                writeSlowly(answer, body, answer.body());
            }
            if (body.resetDue()) {
                reset();
                return false;
            }
        }
        if (answer.resetAfterBytes() >= 0) {
            reset();
            return false;
        }
        return !close;
    }

    private void writeChunks(Answer answer, BodyWriter body) throws IOException {
        boolean first = true;
        for (byte[] chunk : answer.chunks()) {
            if (chunk.length == 0) {
                continue; // an empty chunk would end the body
            }
            if (!first) {
                pause(answer.pieceInterval().toMillis());
            }
            first = false;
            if (!body.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1))
                    || !body.write(chunk) || !body.write(CRLF)) {
                return;
            }
        }
        body.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }

    private void writeSlowly(Answer answer, BodyWriter body, byte[] bytes) throws IOException {
        int step = answer.piece() > 0 ? answer.piece() : Math.max(1, bytes.length);
        for (int off = 0; off < bytes.length; off += step) {
            if (off > 0) {
                pause(answer.pieceInterval().toMillis());
            }
            byte[] part = java.util.Arrays.copyOfRange(bytes, off, Math.min(bytes.length, off + step));
            if (!body.write(part)) {
                return;
            }
        }
    }

    private static final byte[] CRLF = {'\r', '\n'};

    /** Writes body bytes, each write flushed, stopping once {@code limit} bytes are out (-1: no limit). */
    private static final class BodyWriter {
        private final OutputStream out;
        private final long limit;
        private long written;

        BodyWriter(OutputStream out, long limit) {
            this.out = out;
            this.limit = limit;
        }

        /** Returns false once the reset point is reached (nothing more may be written). */
        boolean write(byte[] bytes) throws IOException {
            int n = bytes.length;
            if (limit >= 0 && written + n >= limit) {
                n = (int) (limit - written);
            }
            out.write(bytes, 0, n);
            out.flush();
            written += n;
            return !resetDue();
        }

        boolean resetDue() {
            return limit >= 0 && written >= limit;
        }
    }

    private void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    // ------------------------------------------------------------------ reading

    /** The next request, or {@code null} when the client closed between requests. */
    private static RecordedRequest read(InputStream in) throws IOException {
        String requestLine = line(in);
        while (requestLine != null && requestLine.isEmpty()) {
            requestLine = line(in); // a stray CRLF between requests
        }
        if (requestLine == null) {
            return null;
        }
        String[] parts = requestLine.split(" ");
        if (parts.length != 3) {
            throw new IOException("bad request line: " + requestLine);
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        int total = requestLine.length();
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            total += h.length();
            if (total > MAX_HEAD) {
                throw new IOException("request head over " + MAX_HEAD + " bytes");
            }
            int colon = h.indexOf(':');
            String name = h.substring(0, colon);
            List<String> values = null;
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name)) {
                    values = e.getValue();
                }
            }
            if (values == null) {
                values = new ArrayList<>();
                headers.put(name, values);
            }
            values.add(h.substring(colon + 1).trim());
        }
        RecordedRequest headOnly = new RecordedRequest(parts[0], parts[1], headers, new byte[0]);
        byte[] body;
        String te = headOnly.header("Transfer-Encoding");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            body = readChunked(in);
        } else if (headOnly.header("Content-Length") != null) {
            body = readExactly(in, Integer.parseInt(headOnly.header("Content-Length").trim()));
        } else {
            body = new byte[0];
        }
        return new RecordedRequest(parts[0], parts[1], headers, body);
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = line(in);
            if (size == null) {
                throw new IOException("the client closed inside a chunked body");
            }
            int semi = size.indexOf(';');
            int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            if (n == 0) {
                for (String trailer = line(in); trailer != null && !trailer.isEmpty(); trailer = line(in)) {
                    // trailers are read and dropped
                }
                return body.toByteArray();
            }
            body.write(readExactly(in, n));
            line(in); // the CRLF after the chunk
        }
    }

    private static byte[] readExactly(InputStream in, int n) throws IOException {
        byte[] bytes = in.readNBytes(n);
        if (bytes.length != n) {
            throw new IOException("the client closed after " + bytes.length + " of " + n + " body bytes");
        }
        return bytes;
    }

    /** One line without its CRLF (or LF), ISO-8859-1; {@code null} at end of stream before any byte. */
    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                int len = sb.length();
                return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
            }
            sb.append((char) c);
            if (sb.length() > MAX_HEAD) {
                throw new IOException("line over " + MAX_HEAD + " bytes");
            }
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    private static boolean bodyAllowed(int status) {
        return status >= 200 && status != 204 && status != 304;
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 204 -> "No Content";
            case 301 -> "Moved Permanently";
            case 302 -> "Found";
            case 304 -> "Not Modified";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "Status";
        };
    }

    private static void pause(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
