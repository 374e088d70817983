package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.Chain.Phase;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.wire.HopByHop;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The responses the proxy writes itself: a plugin's {@link Response}, the error page a
 * {@code fail_to_proxy} plugin offers, and the runtime's own error answers with a one-line text
 * body. What the client reads names the kind of failure in general words; the details (which
 * backend, which exception) stay in the log.
 */
final class LocalAnswers {

    private LocalAnswers() {
    }

    /** A plugin's response; its framing and connection headers are the runtime's and are dropped. */
    static FullHttpResponse fromPlugin(Response r) {
        ByteBuf body = r.bodyLength() == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(r.bodyBuffer());
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()), body);
        // Values were checked when the Response was built (it is immutable); Netty checks the names.
        for (Map.Entry<String, String> h : r.headers()) {
            res.headers().add(h.getKey(), h.getValue());
        }
        HopByHop.strip(res.headers());
        res.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.bodyLength());
        return res;
    }

    /** The runtime's own answer to {@code error}: its status and a short reason, as text. */
    static FullHttpResponse error(ByteBufAllocator alloc, ProxyError error) {
        HttpResponseStatus s = HttpResponseStatus.valueOf(error.status());
        String reason = publicReason(error);
        byte[] text = (s.code() + " " + s.reasonPhrase() + (reason == null ? "" : ": " + reason) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        ByteBuf body = alloc.buffer(text.length).writeBytes(text);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, s, body);
        res.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN + "; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, text.length);
        return res;
    }

    /** What the client is told of a failure: general words, never a backend's address or an exception. */
    static String publicReason(ProxyError error) {
        return switch (error.kind()) {
            case BAD_REQUEST -> error.message(); // written for the client: it says what to fix
            case CLIENT_TIMEOUT -> "the request was not received in time";
            case NO_PEER -> "no backend chosen";
            case CONNECT_REFUSED, UNRESOLVABLE -> "cannot connect to the backend";
            case CONNECT_TIMEOUT -> "connecting to the backend timed out";
            case TLS -> "TLS with the backend failed";
            case UPSTREAM_RESET -> "the backend closed the connection";
            case UPSTREAM_TIMEOUT -> "the backend did not answer in time";
            case INVALID_RESPONSE -> "invalid response from the backend";
            case CLIENT_ABORT, PLUGIN, INTERNAL -> null;
        };
    }

    /**
     * Asks the chain's {@code fail_to_proxy} plugins, in order, for the error page; the first
     * non-null answer wins. A plugin that throws is logged and counted, and the next one asked.
     * Returns null when none answers.
     */
    static Response errorPage(Chain chain, Object[] contexts, Session session, ProxyError error, ProxyMetrics metrics,
                              ErrorLog log) {
        for (int position : chain.positions(Phase.FAIL_TO_PROXY)) {
            ChainLink link = chain.link(position);
            long start = System.nanoTime();
            try {
                Response page = link.plugin().failToProxy(session, contexts[position], error);
                if (page != null) {
                    return page;
                }
            } catch (Throwable t) {
                PhaseLoop.rethrowIfFatal(t);
                metrics.pluginFailed(link.pluginId(), Phase.FAIL_TO_PROXY.label());
                log.report(PhaseLoop.failure(link, Phase.FAIL_TO_PROXY, t), session);
            } finally {
                metrics.pluginTime(link.pluginId(), Phase.FAIL_TO_PROXY.ordinal(), Phase.FAIL_TO_PROXY.label(),
                        System.nanoTime() - start);
            }
        }
        return null;
    }

    /** Whether an answer to this error must close the connection: the client's stream cannot be trusted. */
    static boolean closes(ProxyError error) {
        if (error.kind() == ErrorKind.CLIENT_TIMEOUT) {
            return true;
        }
        // 405 and 417 leave the stream in step: the head was read whole, nothing else is pending.
        return error.kind() == ErrorKind.BAD_REQUEST && error.status() != 405 && error.status() != 417;
    }
}
