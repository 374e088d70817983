package dev.turnpike.runtime.wire;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The client side's decoder: requests per RFC 9112, strictly. On top of what {@link Http1Decoder}
 * holds every message to, a request line is {@code method SP request-target SP HTTP-version} with
 * single spaces, a token for a method, no CTL in the target, and a version written exactly
 * {@code HTTP/1.0} or {@code HTTP/1.1} (another well-formed version is a 505). The body's framing is
 * decided here once: Transfer-Encoding only as exactly {@code chunked}, and only in HTTP/1.1;
 * never with Content-Length; one Content-Length of {@code 1*DIGIT}.
 *
 * <p>The HTTP/2 connection preface gets a close and no answer: an HTTP/2 client could not read an
 * HTTP/1.1 one, and it falls back to HTTP/1.1 itself when it sees the close.
 */
public final class RequestDecoder extends Http1Decoder {

    /**
     * @param maxRequestLine the longest request line, CRLF included (longer: 414)
     * @param maxFields      the most bytes the header fields may take (more: 431)
     * @param maxPart        the largest body slice handed up at once
     */
    public RequestDecoder(int maxRequestLine, int maxFields, int maxPart) {
        this(maxRequestLine, maxFields, maxPart, false);
    }

    /**
     * @param holdAfterConnect the forward proxy is on: what follows a CONNECT without a body is held,
     *                         as after an upgrade request, until the tunnel opens or the CONNECT is refused
     */
    public RequestDecoder(int maxRequestLine, int maxFields, int maxPart, boolean holdAfterConnect) {
        super(new HeadScanner(maxRequestLine, 414, maxFields, 431), maxFields, maxPart);
        this.holdAfterConnect = holdAfterConnect;
    }

    private final boolean holdAfterConnect;

    @Override
    boolean skipsLeadingEmptyLines() {
        return true;
    }

    @Override
    long message(ChannelHandlerContext ctx, byte[] a, int firstLineEnd, List<Object> out) {
        int end = firstLineEnd - 2;
        int m = 0;
        while (Grammar.tchar(a[m])) {
            m++;
        }
        if (m == 0 || a[m] != ' ') {
            throw WireViolation.bad("invalid request method");
        }
        int t = m + 1;
        int te = t;
        while (Grammar.targetChar(a[te])) {
            te++;
        }
        if (te == t) {
            throw WireViolation.bad("invalid request target");
        }
        if (a[te] != ' ') {
            throw WireViolation.bad(te == end ? "request line without an HTTP version" : "invalid request target");
        }
        HttpVersion version = version(a, te + 1, end);
        if (version == null) {
            if (m == 3 && a[0] == 'P' && a[1] == 'R' && a[2] == 'I' && te - t == 1 && a[t] == '*' && a[te + 6] == '2'
                    && a[te + 8] == '0') {
                return CLOSE; // PRI * HTTP/2.0: the HTTP/2 preface
            }
            throw new WireViolation(505, "HTTP version not supported");
        }
        HttpHeaders headers = HEADERS.newHeaders();
        fields.parse(a, firstLineEnd, a.length - 2, headers);
        long body = framing(version == HttpVersion.HTTP_1_0);
        HttpMethod method = method(a, m);
        out.add(new DefaultHttpRequest(version, method, new String(a, t, te - t, StandardCharsets.ISO_8859_1), headers));
        if (body == 0 && holdAfterConnect && method.equals(HttpMethod.CONNECT)) {
            return SWITCH; // what follows is the tunnel's (a TLS client hello), or the next request if refused
        }
        if (body == 0 && version == HttpVersion.HTTP_1_1 && headers.contains(HttpHeaderNames.UPGRADE)
                && Upgrades.requested(headers) != null) {
            return SWITCH; // what follows may be the new protocol: held until the backend has answered
        }
        return body;
    }

    /** HTTP/1.0 or HTTP/1.1, or null for another well-formed version; throws for a malformed one. */
    private static HttpVersion version(byte[] a, int v, int end) {
        if (end - v != 8 || a[v] != 'H' || a[v + 1] != 'T' || a[v + 2] != 'T' || a[v + 3] != 'P' || a[v + 4] != '/'
                || !Grammar.digit(a[v + 5]) || a[v + 6] != '.' || !Grammar.digit(a[v + 7])) {
            throw WireViolation.bad("invalid HTTP version");
        }
        if (a[v + 5] == '1' && a[v + 7] == '1') {
            return HttpVersion.HTTP_1_1;
        }
        if (a[v + 5] == '1' && a[v + 7] == '0') {
            return HttpVersion.HTTP_1_0;
        }
        return null;
    }

    private long framing(boolean http10) {
        if (fields.transferEncodings > 0) {
            if (fields.contentLengths > 0) {
                throw WireViolation.bad("both Content-Length and Transfer-Encoding");
            }
            if (http10) {
                throw WireViolation.bad("Transfer-Encoding in an HTTP/1.0 request");
            }
            if (!fields.chunkedOnly()) {
                throw WireViolation.bad("unsupported transfer coding");
            }
            return CHUNKED;
        }
        if (fields.contentLengths > 1) {
            throw WireViolation.bad("more than one Content-Length");
        }
        if (fields.contentLengths == 1) {
            long length = FieldLines.length(fields.contentLength);
            if (length < 0) {
                throw WireViolation.bad("invalid Content-Length");
            }
            return length;
        }
        return 0;
    }

    /** The common methods without a string made for them; the rest through Netty's own lookup. */
    private static HttpMethod method(byte[] a, int n) {
        switch (n) {
            case 3:
                if (a[0] == 'G' && a[1] == 'E' && a[2] == 'T') {
                    return HttpMethod.GET;
                }
                if (a[0] == 'P' && a[1] == 'U' && a[2] == 'T') {
                    return HttpMethod.PUT;
                }
                break;
            case 4:
                if (a[0] == 'P' && a[1] == 'O' && a[2] == 'S' && a[3] == 'T') {
                    return HttpMethod.POST;
                }
                if (a[0] == 'H' && a[1] == 'E' && a[2] == 'A' && a[3] == 'D') {
                    return HttpMethod.HEAD;
                }
                break;
            default:
                break;
        }
        return HttpMethod.valueOf(new String(a, 0, n, StandardCharsets.US_ASCII));
    }

    @Override
    HttpObject invalidHead(WireViolation why) {
        DefaultHttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/bad-request", HEADERS.newHeaders());
        r.setDecoderResult(DecoderResult.failure(why));
        return r;
    }
}
