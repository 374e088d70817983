package dev.turnpike.runtime.http;

import dev.turnpike.api.EventLoopExecutor;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.RequestHead;
import dev.turnpike.api.Response;
import dev.turnpike.api.ResponseHead;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.Chain.Phase;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.upstream.PooledConnection;
import dev.turnpike.runtime.upstream.UpstreamListener;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request, from its head to its logging phase: runs the phases, takes an upstream connection
 * from the loop's pool, streams the request body up and the response down with backpressure, and
 * answers locally for short-circuits and errors. Confined to the client connection's event loop.
 *
 * <p>Each side's flow is a few flags rather than one state enum because they overlap: the request
 * body may still stream up while the response already streams down.
 */
final class Exchange implements Session, PhaseLoop.Owner, UpstreamListener, ChannelFutureListener {

    private static final Logger log = LoggerFactory.getLogger(Exchange.class);

    /** The most request body the proxy reads and drops to keep a connection after answering early. */
    private static final long MAX_DISCARD_BYTES = 64 * 1024;
    /** Request body held while the upstream connection is not ready yet, before reading pauses. */
    private static final long MAX_HELD_BODY_BYTES = 64 * 1024;
    private static final io.netty.util.AsciiString X_REQUEST_ID = io.netty.util.AsciiString.cached("X-Request-Id");

    private final ClientConnection client;
    private final Channel clientChannel;
    private final Chain chain;
    private final HttpRequest request;
    private final RequestView requestView;
    private final long startNanos = System.nanoTime();
    private final long index;
    private final int methodIndex;
    private final String originalUri;
    private long connectStartNanos;
    private final boolean http10;
    private final boolean clientKeepAlive;
    private final boolean head;
    private final RequestFraming.Body requestBody;
    private final long requestLength;
    private final String requestLengthText;
    private boolean expectContinue;
    private String requestId;
    private Object[] contexts;
    private PhaseLoop phases;

    // The request side.
    private boolean requestComplete;
    private ArrayDeque<HttpContent> heldBody;
    private long heldBodyBytes;
    private long requestBodyBytes;
    private boolean discarding;

    /** Whether a plugin of the chain has a failure hook: only then can a retry be asked for. */
    private final boolean retriesWanted;
    /** What a retry sends again; made on first need, so a request that keeps nothing allocates none. */
    private Resend resend;

    // The upstream connection.
    private Peer peer;
    private PooledConnection upstream;
    private boolean connecting;
    private boolean upstreamWasReused;
    /** Whether the Host header is ours (the client sent none), to be renamed on a retry. */
    private boolean hostFromPeer;
    private int attempts;
    private boolean requestHeadSent;
    private boolean requestFullySent;
    private boolean upstreamFlushPending;
    private boolean watchingUpstream;
    private long lastUpstreamReadNanos;
    private boolean inUpstreamRead;
    private boolean inInterim;
    private boolean forwardingInterim;

    // The response side.
    private HttpResponse response;
    private ResponseView responseView;
    private boolean responseNoBody;
    private boolean responseCloseDelimited;
    private long responseLength = -1;
    private String responseLengthText;
    private boolean upstreamKeepAlive;
    private ArrayDeque<HttpObject> heldResponse;
    private boolean responseStarted;
    private boolean localResponse;
    private boolean responseDone;
    private boolean clientFlushPending;
    private long responseBodyBytes;
    private int status;
    private int upstreamStatus;
    private Throwable error;
    private String respondedBy;
    private boolean closeAfter;
    private boolean abandoned;
    private boolean finished;

    Exchange(ClientConnection client, HttpRequest request, Chain chain, long index) {
        this.client = client;
        this.clientChannel = client.channel();
        this.chain = chain;
        this.request = request;
        this.requestView = new RequestView(request);
        this.index = index;
        this.originalUri = request.uri();
        this.methodIndex = ProxyMetrics.methodIndex(request.method().name());
        this.http10 = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
        this.clientKeepAlive = ConnectionTokens.keepAlive(request);
        this.head = request.method().equals(HttpMethod.HEAD);
        boolean decoded = request.decoderResult().isSuccess();
        this.requestBody = decoded ? RequestFraming.body(request) : RequestFraming.Body.NONE;
        this.requestLength = requestBody == RequestFraming.Body.LENGTH ? RequestFraming.contentLength(request) : -1;
        this.requestLengthText = request.headers().get(HttpHeaderNames.CONTENT_LENGTH);
        this.retriesWanted = chain.positions(Phase.FAIL_TO_CONNECT).length + chain.positions(Phase.ERROR_WHILE_PROXYING).length > 0;
        // A request without a body is complete with its head (Netty still sends an empty last part).
    }

    // ------------------------------------------------------------------ request path

    /** Checks the head, then runs the request-side phases. */
    void start() {
        RequestFraming.Refusal refusal = RequestFraming.check(request);
        if (refusal == null && !RequestFraming.toOriginForm(request)) {
            refusal = new RequestFraming.Refusal(400, "invalid request target");
        }
        if (refusal != null) {
            // The stream cannot be trusted past a malformed head: answer and close.
            closeAfter = refusal.status() != 405;
            respondError(refusal.status(), refusal.reason(), null);
            return;
        }
        long maxBody = client.settings().server().maxBodyBytes();
        if (maxBody > 0 && requestLength > maxBody) {
            closeAfter = true; // the body is not read: the stream is no longer in step
            respondError(413, "request body larger than " + maxBody + " bytes", null);
            return;
        }
        String expect = request.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null) {
            if (!expect.trim().equalsIgnoreCase("100-continue")) {
                respondError(417, "only 100-continue is supported", null);
                return;
            }
            // We answer 100 ourselves once a backend is ready, so the expectation is not forwarded.
            request.headers().remove(HttpHeaderNames.EXPECT);
            expectContinue = !http10 && requestBody != RequestFraming.Body.NONE && requestLength != 0;
        }
        HopByHop.strip(request.headers());
        String incomingId = request.headers().get(X_REQUEST_ID);
        requestId = RequestIds.wellFormed(incomingId) ? incomingId : client.loop().nextRequestId();
        request.headers().set(X_REQUEST_ID, requestId);
        contexts = new Object[chain.size()];
        phases = new PhaseLoop(chain, contexts, this, clientChannel.eventLoop(), this, client.metrics());
        for (int position : chain.positions(Phase.NEW_CONTEXT)) {
            ChainLink link = chain.link(position);
            try {
                contexts[position] = link.plugin().newContext(this);
            } catch (Throwable t) {
                PhaseLoop.rethrowIfFatal(t);
                phaseFailed(Phase.NEW_CONTEXT, link, t);
                return;
            }
        }
        phases.run(Phase.REQUEST_FILTER);
    }

    @Override
    public void phaseDone(Phase phase, Outcome decision, ChainLink by) {
        if (localResponse || finished) {
            return;
        }
        switch (phase) {
            case REQUEST_FILTER:
                if (decision != null) {
                    respondLocal(decision.response(), by);
                } else {
                    phases.run(Phase.UPSTREAM_PEER);
                }
                break;
            case UPSTREAM_PEER:
                if (decision == null) {
                    log.warn("request {} {}: no plugin chose a backend in upstream_peer", request.method(), request.uri());
                    respondError(502, "no backend chosen", null);
                } else if (decision.kind() == Outcome.Kind.RESPOND) {
                    respondLocal(decision.response(), by);
                } else {
                    peer = decision.peer();
                    if (retriesWanted && chain.positions(Phase.UPSTREAM_REQUEST_FILTER).length > 0) {
                        // A retry sends the request as the client's filters left it, not as the last
                        // attempt's upstream_request_filter edited it.
                        resend().rememberHead(request);
                    }
                    phases.run(Phase.UPSTREAM_REQUEST_FILTER);
                }
                break;
            case UPSTREAM_REQUEST_FILTER:
                if (decision != null) {
                    respondLocal(decision.response(), by);
                } else {
                    connect(false);
                }
                break;
            case RESPONSE_FILTER:
                sendResponseHead();
                break;
            default:
                throw new IllegalStateException("unexpected phase " + phase);
        }
    }

    @Override
    public void phaseFailed(Phase phase, ChainLink by, Throwable cause) {
        Throwable c = cause instanceof CompletionException && cause.getCause() != null ? cause.getCause() : cause;
        log.error("plugin {} failed in {} (request {} {} {}): {}",
                by.pluginId(), phase.label(), requestId(), request.method(), request.uri(), c.toString(), c);
        error = new PluginFailure(by.pluginId(), phase.label(), c);
        client.metrics().pluginFailed(by.pluginId(), phase.label());
        respondError(500, null, error);
    }

    @Override
    public boolean abandoned() {
        return abandoned || localResponse || finished;
    }

    @Override
    public void resumedAfterAbandon() {
        if (abandoned) {
            finish(); // the client left while the stage was pending; a local answer finishes by itself
        }
    }

    /** Takes an idle pooled connection to the peer, or opens one on this loop. */
    private void connect(boolean fresh) {
        attempts++;
        if (peer.tls()) {
            respondError(502, "TLS to backends is not supported by this build", null);
            return;
        }
        PooledConnection idle = fresh ? null : client.loop().pool().pollIdle(peer);
        if (idle != null) {
            upstreamWasReused = true;
            attach(idle);
            return;
        }
        upstreamWasReused = false;
        connecting = true;
        connectStartNanos = System.nanoTime();
        Future<PooledConnection> f = client.loop().pool().connect(peer);
        if (f.isDone()) {
            onConnected(f);
        } else {
            f.addListener(done -> onConnected(f));
        }
    }

    private void onConnected(Future<PooledConnection> f) {
        connecting = false;
        if (abandoned || localResponse) {
            if (f.isSuccess()) {
                f.getNow().release(); // clean and unused: good for the next request
            }
            if (abandoned) {
                finish();
            }
            return;
        }
        if (!f.isSuccess()) {
            error = f.cause();
            client.metrics().upstreamConnectFailed(peer.address(), error instanceof io.netty.channel.ConnectTimeoutException
                    ? "timeout" : error instanceof java.net.ConnectException ? "refused" : "other");
            log.debug("connect to {} failed: {}", peer, f.cause().toString());
            // Nothing was sent, and the client is still there (checked above): any request may go elsewhere.
            UpstreamFailure failure = failure(UpstreamFailure.Kind.CONNECT, error, null);
            if (!retryAfter(Phase.FAIL_TO_CONNECT, failure) && !localResponse && !finished) {
                respondError(502, "cannot connect to the backend", error); // unless a hook failed it with 500
            }
            return;
        }
        client.metrics().upstreamConnected(peer.address(), System.nanoTime() - connectStartNanos);
        attach(f.getNow());
    }

    /** Sends the head and whatever body arrived meanwhile on {@code connection}. */
    private void attach(PooledConnection connection) {
        upstream = connection;
        connection.attach(this);
        client.metrics().upstreamRequest(peer.address(), upstreamWasReused);
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (hostFromPeer || !request.headers().contains(HttpHeaderNames.HOST)) {
            // An HTTP/1.0 client sent none: name the backend, this attempt's one on a retry.
            request.headers().set(HttpHeaderNames.HOST, peer.address());
            hostFromPeer = true;
        }
        // Framing is the runtime's, whatever a plugin did to these headers.
        request.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        if (requestBody == RequestFraming.Body.CHUNKED) {
            request.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
            request.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        } else if (requestBody == RequestFraming.Body.LENGTH) {
            restoreLength(request, requestLengthText, requestLength);
        } else {
            request.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
        }
        upstreamWrite(request);
        requestHeadSent = true;
        if (expectContinue && !requestComplete) {
            expectContinue = false;
            clientChannel.writeAndFlush(new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
        }
        boolean lastSent = resend != null && resend.writeKept(this::upstreamWrite); // what an earlier attempt sent
        if (heldBody != null) {
            HttpContent c;
            while ((c = heldBody.poll()) != null) {
                keep(c);
                upstreamWrite(c);
                lastSent |= c instanceof LastHttpContent;
            }
            heldBody = null;
            heldBodyBytes = 0;
            client.pauseForExchange(false);
        }
        if (requestComplete) {
            if (!lastSent && attempts > 1) {
                // A resent request without a kept body (none, or empty): its end went with the first
                // attempt, and the encoder of this connection must see one too.
                upstreamWrite(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            requestFullySent = true;
            armReadTimer();
        }
        if (!client.inRead()) {
            flushUpstream();
        }
        client.pauseForExchange(!connection.channel().isWritable());
    }

    /** A part of the request body from the client. */
    void onRequestContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        requestBodyBytes += content.content().readableBytes();
        if (last) {
            requestComplete = true;
        }
        long maxBody = client.settings().server().maxBodyBytes();
        if (maxBody > 0 && requestBodyBytes > maxBody && !localResponse && !finished) {
            // A chunked body past the limit: what went upstream is abandoned with the connection.
            content.release();
            closeAfter = true;
            respondError(413, "request body larger than " + maxBody + " bytes", null);
            return;
        }
        if (discarding || localResponse || finished) {
            content.release();
            if (last && responseDone) {
                finish();
            }
            return;
        }
        if (upstream != null && requestHeadSent) {
            keep(content);
            upstreamWrite(content);
            if (last) {
                requestFullySent = true;
                armReadTimer();
            }
            if (!upstream.channel().isWritable()) {
                client.pauseForExchange(true);
            }
            return;
        }
        // The backend is not chosen or connected yet: hold a little, then stop reading.
        if (heldBody == null) {
            heldBody = new ArrayDeque<>(4);
        }
        heldBody.add(content);
        heldBodyBytes += content.content().readableBytes();
        if (heldBodyBytes > MAX_HELD_BODY_BYTES) {
            client.pauseForExchange(true);
        }
    }

    boolean requestComplete() {
        return requestComplete;
    }

    /**
     * Keeps a view of a body part going upstream, for a retry. An empty part (the end of a request
     * without a body) is not kept: a resend ends its message on its own ({@link #attach}).
     */
    private void keep(HttpContent content) {
        if (retriesWanted && response == null && !Resend.isEmpty(content)) { // answered: no retry any more
            resend().keep(content);
        }
    }

    private Resend resend() {
        if (resend == null) {
            resend = new Resend(client.settings().upstream().retryBodyLimit());
        }
        return resend;
    }

    private void upstreamWrite(Object msg) {
        upstream.channel().write(msg, upstream.channel().voidPromise());
        upstreamFlushPending = true;
    }

    /** Called at the end of each client read batch, and whenever a write happens outside one. */
    void flushUpstream() {
        if (upstreamFlushPending && upstream != null) {
            upstreamFlushPending = false;
            upstream.channel().flush();
        }
    }

    // ------------------------------------------------------------------ response path

    @Override
    public void onUpstreamRead(HttpObject msg) {
        inUpstreamRead = true;
        try {
            read(msg);
        } finally {
            inUpstreamRead = false;
        }
    }

    private void read(HttpObject msg) {
        if (msg.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            Throwable cause = msg.decoderResult().cause();
            if (failedWhileProxying(UpstreamFailure.Kind.INVALID_RESPONSE, cause)) {
                return;
            }
            upstreamBroken(502, "invalid response from the backend", cause);
            return;
        }
        if (msg instanceof HttpResponse) {
            HttpResponse r = (HttpResponse) msg;
            int code = r.status().code();
            if (code >= 200) {
                onResponseHead(r);
            } else if (code == 101) {
                upstreamBroken(502, "the backend switched protocols", null);
            } else {
                // An interim response: forward it (but not 100, which we answer ourselves) to 1.1 clients.
                inInterim = true;
                forwardingInterim = code != 100 && !http10 && !responseStarted;
                if (forwardingInterim) {
                    HopByHop.strip(r.headers());
                    clientWrite(r);
                }
            }
            return;
        }
        HttpContent content = (HttpContent) msg;
        if (inInterim) {
            if (content instanceof LastHttpContent) {
                inInterim = false;
                if (forwardingInterim) {
                    clientWrite(LastHttpContent.EMPTY_LAST_CONTENT);
                }
            }
            content.release();
            return;
        }
        if (heldResponse != null) {
            heldResponse.add(content);
            return;
        }
        forwardResponseContent(content);
    }

    private void onResponseHead(HttpResponse r) {
        response = r;
        int code = r.status().code();
        upstreamStatus = code;
        if (resend != null) {
            resend.stop(); // the backend answered: no retry from here on
        }
        upstreamKeepAlive = ConnectionTokens.keepAlive(r);
        responseNoBody = head || code == 204 || code == 304;
        boolean chunked = HttpUtil.isTransferEncodingChunked(r);
        String length = r.headers().get(HttpHeaderNames.CONTENT_LENGTH);
        responseLength = length != null && !chunked ? Long.parseLong(length.trim()) : -1;
        responseLengthText = length;
        responseCloseDelimited = !responseNoBody && !chunked && length == null;
        if (responseCloseDelimited) {
            upstreamKeepAlive = false;
        }
        HopByHop.strip(r.headers());
        if (chain.positions(Phase.RESPONSE_FILTER).length == 0) {
            sendResponseHead();
            return;
        }
        heldResponse = new ArrayDeque<>(4);
        phases.run(Phase.RESPONSE_FILTER);
        if (phases.parked() && upstream != null) {
            upstream.channel().config().setAutoRead(false); // hold the body back while a filter thinks
        }
    }

    private void sendResponseHead() {
        HttpResponse r = response;
        r.setProtocolVersion(HttpVersion.HTTP_1_1);
        r.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        if (responseLength >= 0) {
            restoreLength(r, responseLengthText, responseLength);
        } else if (!responseNoBody) {
            r.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
            if (http10) {
                closeAfter = true; // an HTTP/1.0 client knows no chunks: the close ends the body
            } else {
                r.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
        }
        setConnectionHeader(r);
        r.headers().set(X_REQUEST_ID, requestId());
        status = r.status().code();
        responseStarted = true;
        clientWrite(r);
        ArrayDeque<HttpObject> held = heldResponse;
        heldResponse = null;
        if (held != null) {
            HttpObject o;
            while ((o = held.poll()) != null && !finished) {
                forwardResponseContent((HttpContent) o);
            }
            if (upstream != null) {
                upstream.channel().config().setAutoRead(clientChannel.isWritable());
            }
        }
        if (!inUpstreamRead) {
            flushClient();
        }
    }

    private void forwardResponseContent(HttpContent content) {
        responseBodyBytes += content.content().readableBytes();
        if (!(content instanceof LastHttpContent)) {
            clientWrite(content);
            if (!clientChannel.isWritable() && upstream != null) {
                upstream.channel().config().setAutoRead(false);
            }
            return;
        }
        cancelReadTimer();
        PooledConnection u = upstream;
        upstream = null;
        if (requestFullySent && upstreamKeepAlive) {
            u.release();
        } else {
            u.discard();
        }
        responseDone = true;
        clientFlushPending = false;
        clientChannel.writeAndFlush(content).addListener(this);
    }

    @Override
    public void onUpstreamReadComplete() {
        lastUpstreamReadNanos = System.nanoTime();
        flushClient();
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        client.pauseForExchange(!writable);
    }

    /** The client connection's writability changed: pause or resume reading from the backend. */
    void onClientWritabilityChanged(boolean writable) {
        if (upstream != null && heldResponse == null) {
            upstream.channel().config().setAutoRead(writable);
        }
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        upstream = null;
        cancelReadTimer();
        if (finished || localResponse) {
            return;
        }
        Throwable failure = cause != null ? cause : new UpstreamClosedException(peer);
        if (response == null && upstreamWasReused && !abandoned && notResendableBecause() == null
                && attempts < ProxyPlugin.MAX_ATTEMPTS) {
            // A keep-alive connection the backend closed as we reused it: the usual race with its idle
            // timeout, not the backend's fault. The same request goes again on a fresh connection.
            log.debug("pooled connection to {} closed before a response; retrying on a new one", peer);
            startingOver();
            client.metrics().upstreamRetried(peer.address());
            connect(true);
            return;
        }
        if (failedWhileProxying(UpstreamFailure.Kind.RESET, failure)) {
            return;
        }
        upstreamBroken(502, "the backend closed the connection", failure);
    }

    /** The backend failed mid-exchange: an error response if the client has seen nothing yet, else a cut. */
    private void upstreamBroken(int code, String reason, Throwable cause) {
        error = cause != null ? cause : new UpstreamClosedException(peer);
        dropUpstream();
        if (!responseStarted) {
            respondError(code, reason, error);
        } else {
            closeAfter = true;
            clientChannel.close();
            finish();
        }
    }

    // ------------------------------------------------------------------ failures and retries

    /**
     * An attempt failed after the request went out: tells the hooks (also once the response head
     * arrived, so passive health sees a backend that breaks mid-body, but then never as retryable).
     * Returns true when a retry is under way, or when a hook failed the request (it is answered).
     */
    private boolean failedWhileProxying(UpstreamFailure.Kind kind, Throwable cause) {
        if (!retriesWanted) {
            return false;
        }
        dropUpstream();
        String why = response != null ? "the backend's response had started" : notResendableBecause();
        if (!retryAfter(Phase.ERROR_WHILE_PROXYING, failure(kind, cause, why))) {
            return localResponse || finished; // a hook failed the request: it is answered already
        }
        return true;
    }

    /** This attempt's failure, with the runtime's own limit on attempts added to why it cannot be retried. */
    private UpstreamFailure failure(UpstreamFailure.Kind kind, Throwable cause, String notRetryableBecause) {
        if (notRetryableBecause == null && attempts >= ProxyPlugin.MAX_ATTEMPTS) {
            notRetryableBecause = "the runtime's attempt limit is reached";
        }
        return new UpstreamFailure(peer, kind, cause, attempts, notRetryableBecause);
    }

    /**
     * Why this request cannot be sent again after it (or part of it) went out, or {@code null} when
     * it can: the method must be idempotent and what went out of its body kept.
     */
    private String notResendableBecause() {
        if (abandoned) {
            return "the client went away";
        }
        if (responseStarted) {
            return "the response to the client has started";
        }
        if (!RequestFraming.idempotent(request.method())) {
            return request.method() + " is not idempotent";
        }
        boolean hasBody = requestBody == RequestFraming.Body.CHUNKED || requestLength > 0;
        // No Resend yet means none of the body went out: it is all still held, or still to come.
        if (hasBody && (!retriesWanted || resend != null && resend.bodyLost())) {
            return "the request body is larger than upstream.retry_body_limit ("
                    + client.settings().upstream().retryBodyLimit() + " bytes) and was not kept";
        }
        return null;
    }

    /**
     * Runs a failure hook for every plugin that has it; when one asks for a retry and the failure
     * allows one, starts the next attempt (upstream_peer again) and returns true. Returns false when
     * the failure stands, or when a hook threw (then the request is already answered with 500).
     */
    private boolean retryAfter(Phase hook, UpstreamFailure failure) {
        boolean asked = false;
        for (int position : chain.positions(hook)) {
            ChainLink link = chain.link(position);
            long start = System.nanoTime();
            try {
                boolean retry = hook == Phase.FAIL_TO_CONNECT
                        ? link.plugin().failToConnect(this, contexts[position], failure)
                        : link.plugin().errorWhileProxying(this, contexts[position], failure);
                asked |= retry;
            } catch (Throwable t) {
                PhaseLoop.rethrowIfFatal(t);
                phaseFailed(hook, link, t);
                return false;
            } finally {
                client.metrics().pluginTime(link.pluginId(), hook.ordinal(), hook.label(), System.nanoTime() - start);
            }
        }
        if (!asked || !failure.retryable()) {
            if (asked && !failure.retryable()) {
                log.debug("{}: retry after {} not possible: {}", this, failure, failure.notRetryableBecause());
            }
            return false;
        }
        log.debug("{}: retrying after {}", this, failure);
        client.metrics().upstreamRetried(peer.address());
        error = null;
        startingOver();
        upstreamWasReused = false;
        inInterim = false;
        if (resend != null) {
            resend.restoreHead(request);
        }
        phases.run(Phase.UPSTREAM_PEER);
        return true;
    }

    /** The request goes out again, on another connection: nothing of it has been sent there yet. */
    private void startingOver() {
        requestHeadSent = false;
        requestFullySent = false;
    }

    /**
     * Starts watching the backend for silence. The timer itself belongs to the client connection
     * and outlives requests, so a request costs a {@code nanoTime()} here rather than a schedule
     * and a cancel.
     */
    private void armReadTimer() {
        if (!watchingUpstream && upstream != null) {
            watchingUpstream = true;
            lastUpstreamReadNanos = System.nanoTime();
            client.watchUpstream(lastUpstreamReadNanos + readTimeoutNanos());
        }
    }

    /**
     * The connection's timer asks: fails the exchange with 504 when the backend has been silent for
     * its read timeout, and otherwise returns when to look again (0: nothing to watch).
     */
    long checkUpstreamSilence() {
        if (!watchingUpstream || upstream == null || finished) {
            return 0;
        }
        long timeout = readTimeoutNanos();
        long silent = System.nanoTime() - lastUpstreamReadNanos;
        if (silent < timeout) {
            return lastUpstreamReadNanos + timeout;
        }
        watchingUpstream = false;
        client.metrics().upstreamTimedOut(peer.address());
        UpstreamTimeoutException e = new UpstreamTimeoutException(peer, timeout);
        if (failedWhileProxying(UpstreamFailure.Kind.TIMEOUT, e)) {
            return 0;
        }
        upstreamBroken(504, "the backend did not answer in time", e);
        return 0;
    }

    private long readTimeoutNanos() {
        return (peer.readTimeout() != null ? peer.readTimeout() : client.settings().upstreamReadTimeout()).toNanos();
    }

    private void cancelReadTimer() {
        watchingUpstream = false;
    }

    /**
     * Puts the length the framing depends on back, in case a plugin changed or removed it; when the
     * header still holds the very string the decoder produced, nothing is formatted or written.
     */
    private static void restoreLength(io.netty.handler.codec.http.HttpMessage m, String original, long length) {
        if (m.headers().get(HttpHeaderNames.CONTENT_LENGTH) != original) {
            m.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
        }
    }

    private void clientWrite(Object msg) {
        clientChannel.write(msg, clientChannel.voidPromise());
        clientFlushPending = true;
        if (!inUpstreamRead) {
            flushClient();
        }
    }

    private void flushClient() {
        if (clientFlushPending) {
            clientFlushPending = false;
            clientChannel.flush();
        }
    }

    // ------------------------------------------------------------------ local answers

    private void respondLocal(Response r, ChainLink by) {
        respondedBy = by.pluginId();
        FullHttpResponse res;
        try {
            res = LocalResponses.fromPlugin(r);
        } catch (IllegalArgumentException e) {
            respondedBy = null;
            phaseFailed(Phase.REQUEST_FILTER, by, e);
            return;
        }
        writeLocal(res);
    }

    private void respondError(int code, String reason, Throwable cause) {
        if (cause != null && error == null) {
            error = cause;
        }
        if (responseStarted) {
            // Too late for a status: all the client can learn is that the response is cut short.
            dropUpstream();
            closeAfter = true;
            clientChannel.close();
            finish();
            return;
        }
        writeLocal(LocalResponses.error(clientChannel.alloc(), code, reason));
    }

    private void writeLocal(FullHttpResponse res) {
        localResponse = true;
        dropUpstream();
        releaseHeld();
        if (!requestComplete) {
            long remaining = requestLength >= 0 ? requestLength - requestBodyBytes : Long.MAX_VALUE;
            if (expectContinue || remaining > MAX_DISCARD_BYTES) {
                closeAfter = true; // the client may never send the body, or it is too big to read and drop
            } else {
                discarding = true;
                client.pauseForExchange(false); // an upstream that is gone may have paused the reading
            }
        }
        setConnectionHeader(res);
        res.headers().set(X_REQUEST_ID, requestId());
        responseBodyBytes = head ? 0 : res.content().readableBytes();
        response = res;
        responseView = null;
        status = res.status().code();
        responseStarted = true;
        clientChannel.writeAndFlush(res).addListener(this);
    }

    private void setConnectionHeader(HttpResponse r) {
        if (!clientKeepAlive || client.closing()) {
            closeAfter = true;
        }
        if (closeAfter) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    /** The last part of the response (forwarded or local) has been written, or failed to be. */
    @Override
    public void operationComplete(ChannelFuture future) {
        responseDone = true;
        if (!future.isSuccess()) {
            if (error == null) {
                error = new ClientAbortException(future.cause());
            }
            closeAfter = true;
        }
        if (!requestComplete && discarding && !closeAfter) {
            return; // finish when the rest of the body has been read and dropped
        }
        if (!requestComplete) {
            closeAfter = true;
        }
        finish();
    }

    // ------------------------------------------------------------------ the end

    /** The client connection closed under this exchange. */
    void onClientClosed() {
        if (finished) {
            return;
        }
        abandoned = true;
        closeAfter = true;
        if (error == null && !responseDone) {
            error = new ClientAbortException(null);
        }
        dropUpstream();
        releaseHeld();
        if ((phases != null && phases.parked()) || connecting) {
            return; // finishes when the plugin's stage or the connect attempt completes
        }
        finish();
    }

    private void dropUpstream() {
        cancelReadTimer();
        if (upstream != null) {
            PooledConnection u = upstream;
            upstream = null;
            u.discard();
        }
    }

    private void releaseHeld() {
        if (resend != null) {
            resend.release();
        }
        if (heldBody != null) {
            heldBody.forEach(ReferenceCountUtil::release);
            heldBody = null;
            heldBodyBytes = 0;
        }
        if (heldResponse != null) {
            heldResponse.forEach(ReferenceCountUtil::release);
            heldResponse = null;
        }
    }

    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        try {
            dropUpstream();
            releaseHeld();
            if (phases != null) {
                runLogging();
            }
            long end = System.nanoTime();
            client.metrics().requestFinished(methodIndex, status, end - startNanos);
            if (error instanceof ClientAbortException) {
                client.metrics().clientAborted();
            }
            client.settings().accessLog().record(this, originalUri, end);
        } finally {
            chain.release(); // after logging: the chain's plugins may be stopped once the last lease is back
        }
        client.exchangeFinished(this, !closeAfter && requestComplete);
    }

    private void runLogging() {
        for (int position : chain.positions(Phase.LOGGING)) {
            ChainLink link = chain.link(position);
            try {
                link.plugin().logging(this, contexts[position]);
            } catch (Throwable t) {
                PhaseLoop.rethrowIfFatal(t);
                log.error("plugin {} failed in logging (request {}): {}", link.pluginId(), requestId(), t.toString(), t);
                client.metrics().pluginFailed(link.pluginId(), Phase.LOGGING.label());
            }
        }
    }

    // ------------------------------------------------------------------ Session

    @Override
    public String requestId() {
        if (requestId == null) {
            requestId = client.loop().nextRequestId();
        }
        return requestId;
    }

    @Override
    public InetSocketAddress clientAddress() {
        return (InetSocketAddress) clientChannel.remoteAddress();
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) clientChannel.localAddress();
    }

    @Override
    public boolean isTls() {
        return false; // the listener speaks plain HTTP only; TLS termination is not built yet
    }

    @Override
    public long connectionRequestIndex() {
        return index;
    }

    @Override
    public RequestHead request() {
        return requestView;
    }

    @Override
    public ResponseHead response() {
        if (response == null) {
            return null;
        }
        if (responseView == null) {
            responseView = new ResponseView(response);
        }
        return responseView;
    }

    @Override
    public Peer peer() {
        return peer;
    }

    @Override
    public EventLoopExecutor executor() {
        return client.loop().executor();
    }

    @Override
    public long startNanos() {
        return startNanos;
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public Throwable error() {
        return error;
    }

    @Override
    public String respondedBy() {
        return respondedBy;
    }

    @Override
    public int upstreamStatus() {
        return upstreamStatus;
    }

    @Override
    public int upstreamAttempts() {
        return attempts;
    }

    @Override
    public long requestBodyBytes() {
        return requestBodyBytes;
    }

    @Override
    public long responseBodyBytes() {
        return responseBodyBytes;
    }

    @Override
    public String toString() {
        return "request " + requestId() + " " + request.method() + " " + request.uri();
    }
}
