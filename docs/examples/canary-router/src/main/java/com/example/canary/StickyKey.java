package com.example.canary;

import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import java.util.regex.Pattern;

/**
 * What a client is recognised by, so that it stays on one track and one backend: its IP address,
 * a header (a user id a gateway in front sets) or a cookie (a session). When the header or cookie
 * is absent the client's IP address stands in, so every request has a key. Immutable.
 */
final class StickyKey {

    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    private enum Source { CLIENT_IP, HEADER, COOKIE }

    private final Source source;
    private final String name;

    private StickyKey(Source source, String name) {
        this.source = source;
        this.name = name;
    }

    /** Parses {@code client_ip}, {@code header:<Name>} or {@code cookie:<name>}; refuses anything else naming {@code key}. */
    static StickyKey parse(ConfigSection c, String key, String text) {
        if (text.equals("client_ip")) {
            return new StickyKey(Source.CLIENT_IP, null);
        }
        int colon = text.indexOf(':');
        String kind = colon < 0 ? text : text.substring(0, colon);
        String name = colon < 0 ? "" : text.substring(colon + 1);
        if ((kind.equals("header") || kind.equals("cookie")) && TOKEN.matcher(name).matches()) {
            return new StickyKey(kind.equals("header") ? Source.HEADER : Source.COOKIE, name);
        }
        throw c.invalid(key, "'" + text + "' is not client_ip, header:<Name> or cookie:<name>");
    }

    /** This request's key; on the event loop, during a phase. */
    String of(Session session) {
        String v = null;
        if (source == Source.HEADER) {
            v = session.request().headers().get(name);
        } else if (source == Source.COOKIE) {
            v = Cookies.value(session.request().headers().getAll("Cookie"), name);
        }
        if (v == null || v.isEmpty()) {
            java.net.InetSocketAddress client = session.clientAddress();
            return client.getAddress() != null ? client.getAddress().getHostAddress() : client.getHostString();
        }
        return v;
    }
}
