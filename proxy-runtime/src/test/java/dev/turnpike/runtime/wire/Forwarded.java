package dev.turnpike.runtime.wire;

import dev.turnpike.testing.StrictHttpParser.Escape;
import dev.turnpike.testing.StrictHttpParser.Field;
import dev.turnpike.testing.StrictHttpParser.Framing;
import dev.turnpike.testing.StrictHttpParser.Message;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the proxy may change between the request a client sent and the one a backend gets, by
 * design (README "Forwarding", {@code HopByHop}, {@code ProxyRequest}, {@code UpstreamHead}), and
 * nothing else:
 * <ul>
 *   <li>hop-by-hop fields go: Connection and every field it names, Keep-Alive, Proxy-Connection,
 *       TE, Trailer, Transfer-Encoding, Upgrade; Expect too (the proxy answers it);</li>
 *   <li>the framing is the proxy's own: Content-Length or Transfer-Encoding as it writes them
 *       (the body bytes must be the same);</li>
 *   <li>X-Request-Id is the proxy's (kept when well formed, but moved);</li>
 *   <li>an absolute-form target becomes origin form, its authority the Host (which moves last);
 *       an HTTP/1.0 request without Host gets one naming the backend;</li>
 *   <li>the version is always HTTP/1.1;</li>
 *   <li>trailer fields the decoder drops (Content-Length, Transfer-Encoding, Trailer).</li>
 * </ul>
 * Every other field arrives in the same order, with the same name (case included) and value.
 */
final class Forwarded {

    private static final Set<String> HOP = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "expect", "content-length", "x-request-id");
    private static final Set<String> PROXY_FRAMING = Set.of("content-length", "transfer-encoding", "x-request-id");
    private static final Set<String> TRAILERS_DROPPED = Set.of("content-length", "transfer-encoding", "trailer");

    private Forwarded() {
    }

    /**
     * How {@code forwarded} (what a backend read) differs from what the proxy should have made of
     * {@code sent} (what the client's request means), or null when it does not. {@code complete}:
     * the backend got the whole request; when not (the proxy gave up midway), its body must be a
     * prefix of the one sent.
     */
    static String diff(Message sent, Message forwarded, boolean complete) {
        List<String> out = new ArrayList<>();
        String target = sent.target();
        String host = sent.value("Host");
        boolean absolute = !target.startsWith("/") && !target.equals("*") && !sent.method().equals("CONNECT");
        if (absolute) {
            int s = target.indexOf("//") + 2;
            int e = s;
            while (e < target.length() && target.charAt(e) != '/' && target.charAt(e) != '?') {
                e++;
            }
            host = target.substring(s, e);
            String rest = target.substring(e);
            target = rest.isEmpty() ? "/" : rest.startsWith("?") ? "/" + rest : rest;
        }
        boolean hostApart = absolute || host == null;
        if (!sent.method().equals(forwarded.method())) {
            out.add("method " + forwarded.method() + " instead of " + sent.method());
        }
        if (!target.equals(forwarded.target())) {
            out.add("target " + esc(forwarded.target()) + " instead of " + esc(target));
        }
        Set<String> named = new HashSet<>();
        for (String v : sent.values("Connection")) {
            for (String token : v.split(",")) {
                String t = token.strip().toLowerCase(Locale.ROOT);
                if (!t.isEmpty() && !t.equals("close") && !t.equals("keep-alive")) {
                    named.add(t);
                }
            }
        }
        List<Field> expected = new ArrayList<>();
        for (Field f : sent.headers()) {
            String n = f.name().toLowerCase(Locale.ROOT);
            if (!HOP.contains(n) && !named.contains(n) && !(hostApart && n.equals("host"))) {
                expected.add(f);
            }
        }
        List<Field> actual = new ArrayList<>();
        for (Field f : forwarded.headers()) {
            String n = f.name().toLowerCase(Locale.ROOT);
            if (!PROXY_FRAMING.contains(n) && !(hostApart && n.equals("host"))) {
                actual.add(f);
            }
        }
        if (!expected.equals(actual)) {
            out.add("fields " + esc(actual.toString()) + " instead of " + esc(expected.toString()));
        }
        List<String> hosts = forwarded.values("Host");
        if (absolute && !hosts.equals(List.of(host))) {
            out.add("Host " + esc(hosts.toString()) + " instead of [" + esc(host) + "] from the absolute-form target");
        }
        if (hosts.size() != 1) {
            out.add(hosts.size() + " Host fields");
        }
        byte[] body = sent.body();
        byte[] got = forwarded.body();
        boolean bodyOk = complete ? Arrays.equals(body, got)
                : got.length <= body.length && Arrays.equals(body, 0, got.length, got, 0, got.length);
        if (!bodyOk) {
            out.add("body " + Escape.bytes(got) + (complete ? " instead of " : " is no prefix of ") + Escape.bytes(body));
        }
        if (forwarded.framing() == Framing.LENGTH) {
            long declared = Long.parseLong(forwarded.value("Content-Length"));
            long meant = sent.framing() == Framing.LENGTH ? Long.parseLong(sent.value("Content-Length")) : body.length;
            if (declared != meant) {
                out.add("Content-Length " + declared + " upstream for a body of " + meant + " bytes");
            }
        }
        if (complete) {
            List<Field> sentTrailers = trailers(sent.trailers());
            List<Field> gotTrailers = trailers(forwarded.trailers());
            if (!sentTrailers.equals(gotTrailers)) {
                out.add("trailers " + esc(gotTrailers.toString()) + " instead of " + esc(sentTrailers.toString()));
            }
        }
        return out.isEmpty() ? null : String.join("; ", out);
    }

    private static List<Field> trailers(List<Field> fields) {
        List<Field> out = new ArrayList<>();
        for (Field f : fields) {
            if (!TRAILERS_DROPPED.contains(f.name().toLowerCase(Locale.ROOT))) {
                out.add(f);
            }
        }
        return out;
    }

    private static String esc(String s) {
        return Escape.bytes(s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    }
}
