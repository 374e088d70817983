package dev.turnpike.plugins.headerinjection;

import dev.turnpike.api.Headers;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.RequestHead;
import dev.turnpike.api.ResponseHead;
import dev.turnpike.api.Session;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.pf4j.Extension;

/**
 * Forwarding headers and configured header edits: in {@code upstream_request_filter} on the request
 * that goes to the backend, in {@code response_filter} on the backend's response to the client.
 *
 * <p>Configuration (the chain entry's {@code config:} section; every key optional):
 * <dl>
 *   <dt>{@code trusted_proxies}</dt>
 *   <dd>list of CIDR networks or addresses (default none). When the socket peer is in it, the
 *       incoming X-Forwarded-For and Forwarded are appended to and X-Forwarded-Proto/-Host kept;
 *       otherwise they are replaced. The client address ({@code $client_ip}, X-Real-IP) is resolved
 *       by {@link dev.turnpike.api.net.TrustedProxies}.</dd>
 *   <dt>{@code forwarding.x_forwarded_for}, {@code .x_real_ip}, {@code .x_forwarded_proto},
 *       {@code .x_forwarded_host}, {@code .via} (default true), {@code .forwarded} (RFC 7239, default
 *       false)</dt>
 *   <dd>which forwarding headers go upstream.</dd>
 *   <dt>{@code request} and {@code response}, each with {@code set} (name: value), {@code add}
 *       (name: value or list of values) and {@code remove} (list of names)</dt>
 *   <dd>edits applied after the forwarding headers, in the order remove, set, add. Values may use
 *       {@code $client_ip}, {@code $backend}, {@code $request_id}, {@code $host}, {@code $scheme}
 *       (see {@link Template}).</dd>
 * </dl>
 * Names and values are checked when the configuration is read: a name must be an HTTP token and
 * not hop-by-hop or framing; a value has no CR, LF, NUL or other control character but tab.
 *
 * <p>Threads: {@link #start} parses everything into an immutable {@link Settings} (templates split
 * into literal and variable parts); the phases only read it, take no lock and never block. The
 * per-request context exists only when a response value needs {@code $client_ip} or {@code $host},
 * which are resolved upstream, before any edit.
 */
@Extension
public final class HeaderInjection implements ProxyPlugin<HeaderInjection.RequestValues> {

    static final String X_FORWARDED_FOR = "X-Forwarded-For";
    static final String X_REAL_IP = "X-Real-IP";
    static final String X_FORWARDED_PROTO = "X-Forwarded-Proto";
    static final String X_FORWARDED_HOST = "X-Forwarded-Host";
    static final String FORWARDED = "Forwarded";
    static final String VIA = "Via";

    private static final String VIA_11 = "1.1 turnpike";
    private static final String VIA_10 = "1.0 turnpike";

    /**
     * What the response side needs from the request side of one request: the values that later
     * edits (ours or another plugin's) could change.
     */
    public static final class RequestValues {
        String clientIp;
        String host;
    }

    /** Volatile: start() writes it on the management thread, event loops read it. */
    private volatile Settings settings = Settings.DEFAULTS;

    @Override
    public void start(PluginContext context) {
        settings = Settings.read(context.config());
    }

    @Override
    public RequestValues newContext(Session session) {
        return settings.needsContext ? new RequestValues() : null;
    }

    @Override
    public Outcome upstreamRequestFilter(Session session, RequestValues ctx) {
        Settings s = settings;
        if (!s.editsRequest() && ctx == null) {
            return Outcome.proceed();
        }
        RequestHead client = session.request();
        Headers headers = session.upstreamRequest().headers();
        String host = s.needsHost ? client.host() : null;
        String peerIp = null;
        boolean trusted = false;
        String clientIp = null;
        List<String> incomingXff = null;
        if (s.needsPeer) {
            InetSocketAddress socket = session.clientAddress();
            InetAddress peer = socket.getAddress();
            peerIp = Addresses.text(socket);
            trusted = peer != null && !s.trusted.isEmpty() && s.trusted.isTrusted(peer);
            if (trusted) {
                incomingXff = headers.getAll(X_FORWARDED_FOR);
            }
            if (s.needsClientIp) {
                clientIp = trusted ? Addresses.text(s.trusted.clientAddress(peer, incomingXff)) : peerIp;
            }
        }
        if (ctx != null) {
            ctx.clientIp = clientIp;
            ctx.host = host;
        }
        String scheme = session.isTls() ? "https" : "http";

        if (s.xForwardedFor) {
            headers.set(X_FORWARDED_FOR, trusted ? append(incomingXff, peerIp) : peerIp);
        }
        if (s.xRealIp) {
            headers.set(X_REAL_IP, clientIp);
        }
        if (s.xForwardedProto && !(trusted && headers.contains(X_FORWARDED_PROTO))) {
            headers.set(X_FORWARDED_PROTO, scheme);
        }
        if (s.xForwardedHost && !(trusted && headers.contains(X_FORWARDED_HOST))) {
            if (host != null) {
                headers.set(X_FORWARDED_HOST, host);
            } else {
                headers.remove(X_FORWARDED_HOST); // nothing true to say; a client's value is not passed on
            }
        }
        if (s.forwarded) {
            String element = forwardedElement(peerIp, scheme, host);
            headers.set(FORWARDED, trusted ? append(headers, FORWARDED, element) : element);
        }
        if (s.via) {
            headers.set(VIA, append(headers, VIA, "HTTP/1.0".equals(client.version()) ? VIA_10 : VIA_11));
        }
        s.request.apply(headers, session, clientIp, host);
        return Outcome.proceed();
    }

    @Override
    public Outcome responseFilter(Session session, RequestValues ctx) {
        HeaderEdits edits = settings.response;
        if (edits.isEmpty()) {
            return Outcome.proceed();
        }
        ResponseHead response = session.response();
        if (response != null) {
            edits.apply(response.headers(), session, ctx != null ? ctx.clientIp : null, ctx != null ? ctx.host : null);
        }
        return Outcome.proceed();
    }

    /** The configuration in force (for tests and diagnostics). */
    Settings settings() {
        return settings;
    }

    /** One RFC 7239 element: {@code for=<peer>;proto=<scheme>[;host=<host>]}. */
    static String forwardedElement(String peerIp, String scheme, String host) {
        String node = Addresses.forwardedNode(peerIp);
        if (host == null) {
            return "for=" + node + ";proto=" + scheme;
        }
        return "for=" + node + ";proto=" + scheme + ";host=" + Addresses.forwardedValue(host);
    }

    /** The incoming list of {@code name} (all its lines) with {@code own} appended, as one line. */
    private static String append(Headers headers, String name, String own) {
        return headers.get(name) == null ? own : append(headers.getAll(name), own);
    }

    /** {@code lines} joined with ", ", then {@code own}; blank lines are left out. */
    static String append(List<String> lines, String own) {
        if (lines == null || lines.isEmpty()) {
            return own;
        }
        if (lines.size() == 1) {
            String line = lines.get(0).trim();
            return line.isEmpty() ? own : line + ", " + own;
        }
        StringBuilder b = new StringBuilder(own.length() + 32 * lines.size());
        for (String line : lines) {
            String t = line.trim();
            if (!t.isEmpty()) {
                b.append(t).append(", ");
            }
        }
        return b.append(own).toString();
    }
}
