package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Response;
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
 * The responses the proxy writes itself, and the one failure path that leads to most of them: a
 * plugin's {@link Response} (an answer, or the error page a {@code fail_to_proxy} plugin offers),
 * and the runtime's own error answers with a one-line text body. What the client reads names the
 * kind of failure in general words; the details (which backend, which exception) stay in the log.
 *
 * <p>One per request, confined to its event loop.
 */
final class LocalAnswers {

    /** What the answers report to: the request's coordinator. */
    interface Owner {
        /** From now on the proxy answers on its own: no phase runs any more. */
        void answering();

        void finish();

        boolean finished();

        /** The request's synchronous phases (fail_to_proxy), or null before its plugins got contexts. */
        Hooks hooks();
    }

    private final Owner owner;
    private final RequestFacts facts;
    private final ProxyMetrics metrics;
    private final ErrorLog errors;
    private final Attempts attempts;
    private final RequestBody body;
    private final ResponseRelay relay;
    private final ResponseWriter writer;
    private final ByteBufAllocator alloc;
    private final boolean headRequest;

    LocalAnswers(Owner owner, RequestFacts facts, ProxyMetrics metrics, ErrorLog errors, Attempts attempts, RequestBody body,
                 ResponseRelay relay, ResponseWriter writer, ByteBufAllocator alloc, boolean headRequest) {
        this.owner = owner;
        this.facts = facts;
        this.metrics = metrics;
        this.errors = errors;
        this.attempts = attempts;
        this.body = body;
        this.relay = relay;
        this.writer = writer;
        this.alloc = alloc;
        this.headRequest = headRequest;
    }

    /** A plugin answered on its own in {@code phase} (request_filter, upstream_peer, upstream_request_filter, request_body_filter). */
    void respond(Response r, ChainLink by, Phase phase) {
        if (writer.started()) {
            fail(PhaseLoop.failure(by, phase, "answered after the backend's response had started"));
            return;
        }
        FullHttpResponse res;
        try {
            res = fromPlugin(r);
        } catch (IllegalArgumentException e) {
            fail(PhaseLoop.failure(by, phase, "answered with an invalid response: " + e.getMessage()));
            return;
        }
        facts.respondedBy = by.pluginId();
        write(res);
    }

    /**
     * The one failure path: records the error, logs it (throttled) and counts it, lets the attempt
     * go, and then answers with the error's status (or the page a fail_to_proxy plugin offers) when
     * nothing of the response has gone out, or cuts the response when it has.
     */
    void fail(ProxyError failure) {
        if (owner.finished()) {
            return;
        }
        if (facts.error == null) {
            // Counted and logged once per request, as the access log names it: what follows the
            // first failure (a client leaving while the error page goes out) is its consequence.
            facts.error = failure;
            metrics.requestFailed(failure.kind().label());
            if (failure.kind() == ErrorKind.PLUGIN) {
                metrics.pluginFailed(failure.pluginId(), failure.phase());
            }
            errors.report(failure, owner);
        }
        attempts.drop();
        if (writer.started()) {
            writer.cut();
            owner.finish();
            return;
        }
        if (failure.kind() == ErrorKind.CLIENT_ABORT) {
            owner.finish();
            return;
        }
        Hooks.Page page = owner.hooks() == null ? null : owner.hooks().errorPage(failure);
        FullHttpResponse res = null;
        if (page != null) {
            try {
                res = fromPlugin(page.response());
            } catch (IllegalArgumentException e) {
                // An invalid page: counted and logged as its plugin's fault; the runtime's answer goes out.
                ProxyError invalid = PhaseLoop.failure(page.by(), Phase.FAIL_TO_PROXY,
                        "returned an invalid error page: " + e.getMessage());
                metrics.pluginFailed(page.by().pluginId(), Phase.FAIL_TO_PROXY.label());
                errors.report(invalid, owner);
            }
        }
        if (closes(failure)) {
            writer.closeAfter();
        }
        write(res != null ? res : error(alloc, failure));
    }

    private void write(FullHttpResponse res) {
        owner.answering();
        attempts.drop();
        relay.release();
        if (!body.discard(!writer.closing())) {
            writer.closeAfter(); // the rest of the body will not be read: the stream is out of step
        }
        writer.full(res, headRequest);
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

    /** Whether an answer to this error must close the connection: the client's stream cannot be trusted. */
    static boolean closes(ProxyError error) {
        if (error.kind() == ErrorKind.CLIENT_TIMEOUT) {
            return true;
        }
        // 405 (CONNECT) leaves the stream in step. After a 417 the client may hold back a body it
        // declared (it waited for a 100 that never comes), so the next bytes cannot be trusted.
        // A forward target's 403 (the policy refused it) leaves it in step too.
        return error.kind() == ErrorKind.BAD_REQUEST && error.status() != 405 && error.status() != 403;
    }
}
