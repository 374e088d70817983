package dev.turnpike.runtime.wire;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.List;

/**
 * What a request head says about its body and whether the proxy can take it at all, decided once
 * before anything is stripped. The {@link RequestDecoder} already refused what breaks the framing
 * (Content-Length with Transfer-Encoding, several lengths, Transfer-Encoding in HTTP/1.0, a coding
 * other than chunked); this adds what a proxy must refuse on top (RFC 9112 §3.2, §6.1).
 */
public final class RequestFraming {

    public enum Body { NONE, LENGTH, CHUNKED }

    /** A refusal: the status and the reason given to the client. */
    public record Refusal(int status, String reason) {
    }

    private RequestFraming() {
    }

    /**
     * Whether a request with this method may be sent twice with the effect of once (RFC 9110
     * §9.2.2): the only ones a retry may repeat after they reached a backend.
     */
    public static boolean idempotent(String m) {
        return m.equals("GET") || m.equals("HEAD") || m.equals("PUT") || m.equals("DELETE") || m.equals("OPTIONS")
                || m.equals("TRACE");
    }

    /**
     * Everything that refuses a head before any phase runs, in order: {@link #check}, a target that
     * is not origin or absolute form (rewritten to origin form here), a declared body over
     * {@code maxBody} (0: no limit), an expectation other than {@code 100-continue}. Null when the
     * request can be proxied.
     */
    public static Refusal refusal(HttpRequest request, long contentLength, long maxBody) {
        return refusal(request, contentLength, maxBody, false);
    }

    /**
     * As {@link #refusal(HttpRequest, long, long)}; with {@code forward} (the forward proxy is on) a
     * CONNECT is taken when it names {@code host:port} and has no body (its target stays as it is),
     * and an {@code https://} absolute-form target is refused: its client must use CONNECT.
     */
    public static Refusal refusal(HttpRequest request, long contentLength, long maxBody, boolean forward) {
        Refusal refusal = check(request, forward);
        boolean connect = request.method().equals(HttpMethod.CONNECT);
        if (refusal == null && forward && connect) {
            if (dev.turnpike.runtime.wire.ForwardTarget.of(request) == null) {
                refusal = new Refusal(400, "invalid CONNECT target (host:port)");
            } else if (body(request) != Body.NONE && contentLength != 0) {
                refusal = new Refusal(400, "CONNECT with a body");
            }
        } else if (refusal == null && forward && dev.turnpike.runtime.wire.ForwardTarget.isHttps(request.uri())) {
            refusal = new Refusal(400, "use CONNECT for https");
        } else if (refusal == null && forward && request.uri().startsWith("http://")
                && dev.turnpike.runtime.wire.ForwardTarget.of(request) == null) {
            refusal = new Refusal(400, "invalid request target");
        }
        if (refusal == null && !(forward && connect) && !toOriginForm(request)) {
            refusal = new Refusal(400, "invalid request target");
        }
        if (refusal == null && maxBody > 0 && contentLength > maxBody) {
            refusal = new Refusal(413, "request body larger than " + maxBody + " bytes");
        }
        String expect = request.headers().get(HttpHeaderNames.EXPECT);
        if (refusal == null && expect != null && !expect.trim().equalsIgnoreCase("100-continue")) {
            refusal = new Refusal(417, "only 100-continue is supported");
        }
        return refusal;
    }

    /** Why the request cannot be proxied, or {@code null} when it can. */
    public static Refusal check(HttpRequest request) {
        return check(request, false);
    }

    /** As {@link #check(HttpRequest)}; {@code connectAllowed}: a CONNECT is no refusal by itself. */
    public static Refusal check(HttpRequest request, boolean connectAllowed) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            Throwable cause = result.cause();
            if (cause instanceof WireViolation v) {
                return new Refusal(v.status(), v.status() == 400 ? "malformed request: " + v.getMessage() : v.getMessage());
            }
            if (cause instanceof TooLongHttpLineException) {
                return new Refusal(414, "request line too long");
            }
            if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
                return new Refusal(431, "request header section too large");
            }
            return new Refusal(400, "malformed request: " + cause.getMessage());
        }
        List<String> te = request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!te.isEmpty() && (te.size() > 1 || !te.get(0).trim().equalsIgnoreCase("chunked"))) {
            return new Refusal(400, "unsupported transfer coding");
        }
        List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1) {
            return new Refusal(400, "more than one Host header");
        }
        if (hosts.isEmpty() && request.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
            return new Refusal(400, "HTTP/1.1 request without Host");
        }
        if (!hosts.isEmpty() && !HostSyntax.valid(hosts.get(0))) {
            return new Refusal(400, "invalid Host");
        }
        if (request.method().equals(HttpMethod.CONNECT) && !connectAllowed) {
            return new Refusal(405, "CONNECT is not proxied");
        }
        return null;
    }

    public static Body body(HttpRequest request) {
        if (request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            return Body.CHUNKED;
        }
        String length = request.headers().get(HttpHeaderNames.CONTENT_LENGTH);
        return length == null ? Body.NONE : Body.LENGTH;
    }

    public static long contentLength(HttpRequest request) {
        String length = request.headers().get(HttpHeaderNames.CONTENT_LENGTH);
        return length == null ? -1 : Long.parseLong(length.trim());
    }

    /**
     * Turns an absolute-form target ({@code http://host/path}) into origin form and the Host header,
     * as a server must accept it (RFC 9112 §3.2.2). Returns false when the target is unusable.
     */
    public static boolean toOriginForm(HttpRequest request) {
        String uri = request.uri();
        int scheme = uri.startsWith("http://") ? 7 : uri.regionMatches(true, 0, "https://", 0, 8) ? 8 : -1;
        if (scheme < 0) {
            return uri.startsWith("/") || (uri.equals("*") && request.method().equals(HttpMethod.OPTIONS));
        }
        int slash = uri.indexOf('/', scheme);
        int query = uri.indexOf('?', scheme);
        int end = slash < 0 ? (query < 0 ? uri.length() : query) : (query < 0 ? slash : Math.min(slash, query));
        String authority = uri.substring(scheme, end);
        if (authority.isEmpty() || !HostSyntax.valid(authority)) {
            return false;
        }
        String rest = uri.substring(end);
        request.headers().set(HttpHeaderNames.HOST, authority);
        request.setUri(rest.isEmpty() ? "/" : rest.startsWith("?") ? "/" + rest : rest);
        return true;
    }
}
