package com.example.mirror;

import dev.turnpike.api.RequestHead;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A copy of a request, taken on the event loop, for a mirror thread to send: the views a phase
 * gets are valid only during the request and on its loop, so nothing of them may travel to another
 * thread. Immutable once made; the body is taken over, not copied.
 *
 * @param method  the method as sent upstream
 * @param uri     the target as sent upstream ({@code /path?query})
 * @param host    the Host the client asked for, or {@code null}
 * @param headers the end-to-end headers, in order, without those the mirror's client sets itself
 * @param body    the body, empty for none
 */
record MirroredRequest(String method, String uri, String host, List<Map.Entry<String, String>> headers, byte[] body) {

    /**
     * Headers the JDK's HttpClient sets itself and refuses from callers, and hop-by-hop ones (already
     * removed by the runtime; dropped again so a mirror can never carry them).
     */
    private static final Set<String> NOT_COPIED = Set.of("host", "content-length", "connection", "expect", "upgrade",
            "keep-alive", "te", "trailer", "transfer-encoding", "proxy-connection", "http2-settings");

    /** The head as it goes upstream now; call on the event loop, during the phase. */
    static MirroredRequest of(RequestHead head) {
        List<Map.Entry<String, String>> headers = new ArrayList<>(head.headers().size());
        for (Map.Entry<String, String> h : head.headers()) {
            if (!NOT_COPIED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                headers.add(Map.entry(h.getKey(), h.getValue()));
            }
        }
        return new MirroredRequest(head.method(), head.uri(), head.host(), List.copyOf(headers), new byte[0]);
    }

    MirroredRequest withBody(byte[] bytes) {
        return new MirroredRequest(method, uri, host, headers, bytes);
    }
}
