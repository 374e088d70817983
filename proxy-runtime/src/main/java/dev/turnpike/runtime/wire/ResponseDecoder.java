package dev.turnpike.runtime.wire;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The upstream side's decoder: responses from backends, as strictly as requests from clients (a
 * backend that frames a response ambiguously gets the client a 502, not a guess). The status line
 * is {@code HTTP/1.0} or {@code HTTP/1.1}, SP, three digits from 100 to 599, and SP and a reason
 * when there is one. The body's framing follows RFC 9112 §6.3: none after a HEAD, a 1xx, 204 or
 * 304; chunks when Transfer-Encoding is exactly {@code chunked}; a single Content-Length; else the
 * close. Transfer-Encoding with Content-Length, several lengths, or another coding are refused.
 *
 * <p>The sender tells it whether the request now outstanding was a HEAD: the upstream side writes
 * requests as bytes, so no encoder can pair them. One request is outstanding at a time.
 */
public final class ResponseDecoder extends Http1Decoder {

    private static final int MAX_STATUS_LINE = 4096;

    private boolean headRequest;
    private boolean upgradeRequested;

    /**
     * @param maxFields the most bytes a response's header fields may take
     * @param maxPart   the largest body slice handed up at once
     */
    public ResponseDecoder(int maxFields, int maxPart) {
        super(new HeadScanner(MAX_STATUS_LINE, 502, maxFields, 502), maxFields, maxPart);
    }

    /** Before a request is written: whether it is a HEAD. */
    public void expectResponseTo(boolean head) {
        expectResponseTo(head, false);
    }

    /**
     * Before a request is written: whether it is a HEAD, and whether it asks for an upgrade (then a
     * 101 is the switch, after which the decoder holds the new protocol's bytes; without one a
     * 101 is refused).
     */
    public void expectResponseTo(boolean head, boolean upgrade) {
        this.headRequest = head;
        this.upgradeRequested = upgrade;
    }

    @Override
    long message(ChannelHandlerContext ctx, byte[] a, int firstLineEnd, List<Object> out) {
        int end = firstLineEnd - 2;
        if (end < 12 || a[0] != 'H' || a[1] != 'T' || a[2] != 'T' || a[3] != 'P' || a[4] != '/' || a[5] != '1'
                || a[6] != '.' || (a[7] != '0' && a[7] != '1') || a[8] != ' ') {
            throw WireViolation.bad("invalid status line: not HTTP/1.0 or HTTP/1.1");
        }
        if (!Grammar.digit(a[9]) || !Grammar.digit(a[10]) || !Grammar.digit(a[11]) || a[9] < '1' || a[9] > '5') {
            throw WireViolation.bad("invalid status code");
        }
        int code = (a[9] - '0') * 100 + (a[10] - '0') * 10 + (a[11] - '0');
        int reason = end;
        if (end > 12) {
            if (a[12] != ' ') {
                throw WireViolation.bad("invalid status line");
            }
            reason = 13;
            for (int i = reason; i < end; i++) {
                if (!Grammar.reasonChar(a[i])) {
                    throw WireViolation.bad("invalid character in the reason phrase");
                }
            }
        }
        boolean http10 = a[7] == '0';
        HttpHeaders headers = HEADERS.newHeaders();
        fields.parse(a, firstLineEnd, a.length - 2, headers);
        long body = framing(code, http10);
        HttpResponseStatus status = status(code, a, reason, end);
        out.add(!http10 && fields.verbatim ? new WireResponse(status, headers, a, fields)
                : new DefaultHttpResponse(http10 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1, status, headers));
        return body;
    }

    private long framing(int code, boolean http10) {
        if (fields.transferEncodings > 0 && fields.contentLengths > 0) {
            throw WireViolation.bad("both Content-Length and Transfer-Encoding");
        }
        if (fields.contentLengths > 1) {
            throw WireViolation.bad("more than one Content-Length");
        }
        long length = -1;
        if (fields.contentLengths == 1 && (length = FieldLines.length(fields.contentLength)) < 0) {
            throw WireViolation.bad("invalid Content-Length");
        }
        if (fields.transferEncodings > 0 && (http10 || !fields.chunkedOnly())) {
            throw WireViolation.bad(http10 ? "Transfer-Encoding in an HTTP/1.0 response" : "unsupported transfer coding");
        }
        if (code == 101) {
            if (!upgradeRequested) {
                throw WireViolation.bad("101 Switching Protocols to a request that asked for no upgrade");
            }
            return SWITCH;
        }
        if (headRequest || code < 200 || code == 204 || code == 304) {
            return 0;
        }
        if (fields.transferEncodings > 0) {
            return CHUNKED;
        }
        return length >= 0 ? length : UNTIL_CLOSE;
    }

    /** Netty's constant when the reason is the usual one, so the common case makes no object. */
    private static HttpResponseStatus status(int code, byte[] a, int from, int to) {
        HttpResponseStatus known = HttpResponseStatus.valueOf(code);
        if (from == to) {
            return known; // no reason given: the client gets the usual one
        }
        String usual = known.reasonPhrase();
        if (usual.length() == to - from) {
            boolean same = true;
            for (int i = 0; i < usual.length() && same; i++) {
                same = usual.charAt(i) == a[from + i];
            }
            if (same) {
                return known;
            }
        }
        return new HttpResponseStatus(code, new String(a, from, to - from, StandardCharsets.ISO_8859_1));
    }

    @Override
    HttpObject invalidHead(WireViolation why) {
        DefaultHttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY,
                HEADERS.newHeaders());
        r.setDecoderResult(DecoderResult.failure(why));
        return r;
    }
}
