package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Response;
import dev.turnpike.api.UpstreamConnection;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.Chain.Phase;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.wire.ConnectionTokens;
import dev.turnpike.runtime.wire.HopByHop;
import dev.turnpike.runtime.wire.RequestFraming;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;

/**
 * One request, from its head to its logging phase: the coordinator. It owns the order of the
 * phases, the decision to retry, the one failure path and the finish; the work itself is done by
 * its parts, each with its own state: the {@link RequestBody} (client to backend), one
 * {@link Attempt} per try, the {@link ResponseRelay} (backend to client, through the response
 * filters) and the {@link ResponseWriter} (the client's side of the response). Plugins see it
 * through a {@link SessionView}.
 *
 * <p>Confined to the client connection's event loop.
 */
public final class ProxyRequest implements PhaseLoop.Owner, Attempt.Owner, RequestBody.Owner, ResponseWriter.Owner,
        ResponseRelay.Owner {

    private static final AsciiString X_REQUEST_ID = AsciiString.cached("X-Request-Id");

    /** Where the request stands. */
    enum Step {
        /** The head is being checked. */
        NEW,
        /** A head phase runs: request_filter, upstream_peer, upstream_request_filter. */
        PHASES,
        /** An attempt is out (connecting, sending, or relaying its response). */
        PROXYING,
        /** The proxy answers on its own (a plugin's response, an error): no phase runs any more. */
        ANSWERING,
        FINISHED
    }

    private final Downstream client;
    private final ProxyContext proxy;
    private final ProxyMetrics metrics;
    private final Chain chain;
    private final HttpRequest request;
    private final RequestView clientHead;
    private final SessionView session;
    private final RequestBody body;
    private final ResponseWriter writer;
    private final ResponseRelay relay;
    private final long startNanos = System.nanoTime();
    private final long index;
    private final int methodIndex;
    private final String originalUri;
    private final RequestFraming.Body framing;
    private final long contentLength;
    private final boolean retriesWanted;
    private final String requestId;
    private final boolean clientHeadMethod;
    private boolean expectContinue;

    private Step step = Step.NEW;
    private Object[] contexts;
    private PhaseLoop phases;
    private Attempt attempt;
    private UpstreamHead upstreamHead;
    private Peer peer;
    private int attempts;
    private long firstAttemptNanos;
    private int upstreamStatus;
    private ProxyError error;
    private String respondedBy;

    private ProxyRequest(Downstream client, HttpRequest request, long index) {
        this.client = client;
        this.proxy = client.proxy();
        this.metrics = proxy.metrics();
        this.chain = proxy.acquireChain();
        this.request = request;
        this.index = index;
        this.originalUri = request.uri();
        this.methodIndex = ProxyMetrics.methodIndex(request.method().name());
        boolean decoded = request.decoderResult().isSuccess();
        boolean http10 = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
        this.framing = decoded ? RequestFraming.body(request) : RequestFraming.Body.NONE;
        this.contentLength = framing == RequestFraming.Body.LENGTH ? RequestFraming.contentLength(request) : -1;
        String expect = decoded ? request.headers().get(HttpHeaderNames.EXPECT) : null;
        this.expectContinue = expect != null && expect.trim().equalsIgnoreCase("100-continue") && !http10
                && framing != RequestFraming.Body.NONE && contentLength != 0;
        String incomingId = request.headers().get(X_REQUEST_ID);
        this.requestId = RequestIds.wellFormed(incomingId) ? incomingId : client.loop().nextRequestId();
        this.retriesWanted = chain.positions(Phase.FAIL_TO_CONNECT).length + chain.positions(Phase.ERROR_WHILE_PROXYING).length > 0;
        this.clientHead = new RequestView(request, framing, contentLength);
        this.session = new SessionView(this);
        this.writer = new ResponseWriter(client.channel(), this, http10, ConnectionTokens.keepAlive(request), proxy::closing,
                requestId, proxy.server().sendTimeout().toNanos());
        // The client's own method decides its response's framing, whatever a plugin makes of it later:
        // the server codec paired the method with the response when it decoded the head.
        this.clientHeadMethod = request.method().equals(HttpMethod.HEAD);
        this.relay = new ResponseRelay(this, writer, clientHeadMethod);
        this.body = new RequestBody(this, framing != RequestFraming.Body.NONE, contentLength, proxy.server().maxBodyBytes(),
                retriesWanted, proxy.upstream().retryBodyLimit(), proxy.server().requestBodyTimeout().toNanos(), expectContinue);
    }

    /**
     * The request whose head {@code client} just decoded; {@link #start()} runs it. Two steps, so the
     * connection knows its current request before any of it runs: a request may be answered, and
     * finished, within its start.
     */
    public static ProxyRequest create(Downstream client, HttpRequest head, long index) {
        return new ProxyRequest(client, head, index);
    }

    /** Checks the head, then runs the request-side phases, as far as they go now. */
    public void start() {
        RequestFraming.Refusal refusal = RequestFraming.check(request);
        if (refusal == null && !RequestFraming.toOriginForm(request)) {
            refusal = new RequestFraming.Refusal(400, "invalid request target");
        }
        long maxBody = proxy.server().maxBodyBytes();
        if (refusal == null && maxBody > 0 && contentLength > maxBody) {
            refusal = new RequestFraming.Refusal(413, "request body larger than " + maxBody + " bytes");
        }
        String expect = request.headers().get(HttpHeaderNames.EXPECT);
        if (refusal == null && expect != null && !expect.trim().equalsIgnoreCase("100-continue")) {
            refusal = new RequestFraming.Refusal(417, "only 100-continue is supported");
        }
        if (refusal != null) {
            // No phase runs for a head the proxy cannot take; its stream may not be trusted past it.
            fail(ProxyError.of(ErrorKind.BAD_REQUEST, refusal.reason(), null).withStatus(refusal.status()));
            return;
        }
        // The proxy answers 100 itself once a backend is ready, so the expectation is not forwarded.
        request.headers().remove(HttpHeaderNames.EXPECT);
        HopByHop.strip(request.headers());
        request.headers().set(X_REQUEST_ID, requestId);
        contexts = new Object[chain.size()];
        long phaseTimeout = proxy.phaseTimeout().toNanos();
        phases = new PhaseLoop(chain, contexts, session, client.channel().eventLoop(), this, metrics, phaseTimeout, this::due);
        body.filters(loopFor(Phase.REQUEST_BODY_FILTER, body, phaseTimeout), pluginsOf(Phase.REQUEST_BODY_FILTER));
        relay.filters(loopFor(Phase.RESPONSE_FILTER, relay, phaseTimeout), loopFor(Phase.RESPONSE_BODY_FILTER, relay, phaseTimeout),
                pluginsOf(Phase.RESPONSE_BODY_FILTER));
        step = Step.PHASES;
        for (int position : chain.positions(Phase.NEW_CONTEXT)) {
            ChainLink link = chain.link(position);
            try {
                contexts[position] = link.plugin().newContext(session);
            } catch (Throwable t) {
                PhaseLoop.rethrowIfFatal(t);
                fail(PhaseLoop.failure(link, Phase.NEW_CONTEXT, t));
                return;
            }
        }
        phases.run(Phase.REQUEST_FILTER);
    }

    /** A phase loop of its own for a phase that may run while another is parked; null when no plugin has it. */
    private PhaseLoop loopFor(Phase phase, PhaseLoop.Owner owner, long timeoutNanos) {
        return chain.positions(phase).length == 0 ? null
                : new PhaseLoop(chain, contexts, session, client.channel().eventLoop(), owner, metrics, timeoutNanos, this::due);
    }

    private String pluginsOf(Phase phase) {
        StringBuilder ids = new StringBuilder();
        for (int p : chain.positions(phase)) {
            ids.append(ids.length() == 0 ? "" : ",").append(chain.link(p).pluginId());
        }
        return ids.length() == 0 ? null : ids.toString();
    }

    // ------------------------------------------------------------------ the head phases

    @Override
    public void phaseDone(Phase phase, Outcome decision, ChainLink by) {
        switch (phase) {
            case REQUEST_FILTER -> {
                if (decision != null) {
                    respondLocal(decision.response(), by);
                } else {
                    phases.run(Phase.UPSTREAM_PEER);
                }
            }
            case UPSTREAM_PEER -> {
                if (decision == null) {
                    fail(ProxyError.of(ErrorKind.NO_PEER, "no plugin chose a backend in upstream_peer", null));
                } else if (decision.kind() == Outcome.Kind.RESPOND) {
                    respondLocal(decision.response(), by);
                } else {
                    peer = decision.peer();
                    // Every attempt's head is an overlay on the client's: from here on that must hold still.
                    clientHead.freeze();
                    upstreamHead = new UpstreamHead(clientHead, framing, contentLength);
                    phases.run(Phase.UPSTREAM_REQUEST_FILTER);
                }
            }
            case UPSTREAM_REQUEST_FILTER -> {
                if (decision != null) {
                    respondLocal(decision.response(), by);
                } else {
                    upstreamHead.freeze();
                    upstreamHead.hostIfMissing(peer.address()); // an HTTP/1.0 client may have sent none
                    startAttempt(peer, upstreamHead, false);
                }
            }
            default -> throw new IllegalStateException("unexpected phase " + phase);
        }
    }

    @Override
    public void phaseFailed(Phase phase, ProxyError failure) {
        fail(failure);
    }

    @Override
    public boolean over() {
        return step == Step.ANSWERING || step == Step.FINISHED;
    }

    // ------------------------------------------------------------------ attempts

    private void startAttempt(Peer to, UpstreamHead head, boolean fresh) {
        if (to.tls()) {
            fail(ProxyError.of(ErrorKind.TLS, "TLS to backends is not supported by this build (peer " + to + ")", null));
            return;
        }
        attempts++;
        if (firstAttemptNanos == 0) {
            firstAttemptNanos = System.nanoTime();
            if (proxy.upstream().totalTimeout() != null) {
                due(firstAttemptNanos + proxy.upstream().totalTimeout().toNanos());
            }
        }
        step = Step.PROXYING;
        attempt = new Attempt(this, client.loop().pool(), metrics, to, head, attempts, proxy.upstream().readTimeout(),
                proxy.upstream().writeTimeout());
        attempt.start(fresh);
    }

    @Override
    public void connected(Attempt a, UpstreamConnection connection) {
        for (int position : chain.positions(Phase.CONNECTED_TO_UPSTREAM)) {
            ChainLink link = chain.link(position);
            long start = System.nanoTime();
            try {
                link.plugin().connectedToUpstream(session, contexts[position], connection);
            } catch (Throwable t) {
                PhaseLoop.rethrowIfFatal(t);
                fail(PhaseLoop.failure(link, Phase.CONNECTED_TO_UPSTREAM, t));
                return;
            } finally {
                metrics.pluginTime(link.pluginId(), Phase.CONNECTED_TO_UPSTREAM.ordinal(),
                        Phase.CONNECTED_TO_UPSTREAM.label(), System.nanoTime() - start);
            }
        }
    }

    @Override
    public void headSent(Attempt a) {
        if (expectContinue && !body.complete()) {
            expectContinue = false;
            writer.continue100();
            body.continueSent();
        }
        body.attach(a);
    }

    @Override
    public void interim(Attempt a, HttpResponse head) {
        writer.batch(true);
        writer.interim(head);
    }

    @Override
    public void responseHead(Attempt a, HttpResponse head) {
        if (a != attempt) {
            return;
        }
        upstreamStatus = head.status().code();
        body.stopKeeping(); // the backend answered: no retry from here on
        writer.batch(true);
        relay.head(a, head);
    }

    @Override
    public void responseContent(Attempt a, HttpContent part) {
        if (a != attempt) {
            ReferenceCountUtil.release(part);
            return;
        }
        writer.batch(true);
        relay.content(part);
    }

    @Override
    public void readBatchDone() {
        writer.batch(false);
    }

    @Override
    public void writabilityChanged(Attempt a, boolean writable) {
        body.sinkWritable();
    }

    @Override
    public boolean inClientRead() {
        return client.inRead();
    }

    /**
     * An attempt failed: a reused connection that lost the keep-alive race is simply tried again;
     * otherwise the failure hooks are told, and asked whether to retry, which happens only when the
     * rules say it is safe. Only the backend's failures come here.
     */
    @Override
    public void failed(Attempt a, ProxyError failure) {
        if (a != attempt) {
            return;
        }
        attempt = null;
        body.detach();
        boolean answered = a.answered() || writer.started();
        RetryRules.Facts facts = new RetryRules.Facts(failure.kind(), answered, a.head().method(),
                framing == RequestFraming.Body.CHUNKED || contentLength > 0, body.kept(),
                proxy.upstream().retryBodyLimit(), attempts);
        if (!answered && RetryRules.pooledRace(a.reused(), facts)) {
            metrics.upstreamRetried(a.peer().address());
            startAttempt(a.peer(), a.head(), true);
            return;
        }
        if (retriesWanted) {
            UpstreamFailure f = new UpstreamFailure(a.peer(), failure, a.number(), RetryRules.notRetryableBecause(facts));
            Boolean asked = runFailureHooks(failure.kind().beforeSending() ? Phase.FAIL_TO_CONNECT : Phase.ERROR_WHILE_PROXYING, f);
            if (asked == null) {
                return; // a hook threw: the request has failed with that
            }
            if (asked && f.retryable()) {
                metrics.upstreamRetried(a.peer().address());
                step = Step.PHASES;
                phases.run(Phase.UPSTREAM_PEER); // session.peer() still names the failed backend
                return;
            }
        }
        fail(failure);
    }

    /** Tells every plugin with the hook; returns whether any asked for a retry, or null when one threw. */
    private Boolean runFailureHooks(Phase hook, UpstreamFailure failure) {
        boolean asked = false;
        for (int position : chain.positions(hook)) {
            ChainLink link = chain.link(position);
            long start = System.nanoTime();
            try {
                asked |= hook == Phase.FAIL_TO_CONNECT
                        ? link.plugin().failToConnect(session, contexts[position], failure)
                        : link.plugin().errorWhileProxying(session, contexts[position], failure);
            } catch (Throwable t) {
                PhaseLoop.rethrowIfFatal(t);
                fail(PhaseLoop.failure(link, hook, t));
                return null;
            } finally {
                metrics.pluginTime(link.pluginId(), hook.ordinal(), hook.label(), System.nanoTime() - start);
            }
        }
        return asked;
    }

    private void dropAttempt() {
        if (attempt != null) {
            Attempt a = attempt;
            attempt = null;
            a.abandon();
        }
        body.detach();
    }

    // ------------------------------------------------------------------ answers and failures

    /** A plugin answered on its own (request_filter, upstream_peer, upstream_request_filter, request_body_filter). */
    @Override
    public void refused(Response r, ChainLink by) {
        respondLocal(r, by);
    }

    private void respondLocal(Response r, ChainLink by) {
        if (writer.started()) {
            fail(PhaseLoop.failure(by, Phase.REQUEST_BODY_FILTER, "answered after the backend's response had started"));
            return;
        }
        FullHttpResponse res;
        try {
            res = LocalAnswers.fromPlugin(r);
        } catch (IllegalArgumentException e) {
            fail(PhaseLoop.failure(by, Phase.REQUEST_FILTER, e));
            return;
        }
        respondedBy = by.pluginId();
        writeLocal(res);
    }

    /**
     * The one failure path: records the error, logs it (throttled) and counts it, lets the attempt
     * go, and then answers with the error's status (or the page a fail_to_proxy plugin offers) when
     * nothing of the response has gone out, or cuts the response when it has.
     */
    void fail(ProxyError failure) {
        if (step == Step.FINISHED) {
            return;
        }
        if (error == null) {
            error = failure;
        }
        metrics.requestFailed(failure.kind().label());
        if (failure.kind() == ErrorKind.PLUGIN) {
            metrics.pluginFailed(failure.pluginId(), failure.phase());
        }
        proxy.errors().report(failure, this);
        dropAttempt();
        if (writer.started()) {
            writer.cut();
            finish();
            return;
        }
        if (failure.kind() == ErrorKind.CLIENT_ABORT) {
            finish();
            return;
        }
        FullHttpResponse res = null;
        Response page = contexts == null ? null
                : LocalAnswers.errorPage(chain, contexts, session, failure, metrics, proxy.errors());
        if (page != null) {
            try {
                res = LocalAnswers.fromPlugin(page);
            } catch (IllegalArgumentException e) {
                res = null; // an invalid page: the runtime's own answer goes out
            }
        }
        if (res == null) {
            res = LocalAnswers.error(client.channel().alloc(), failure);
        }
        if (LocalAnswers.closes(failure)) {
            writer.closeAfter();
        }
        writeLocal(res);
    }

    private void writeLocal(FullHttpResponse res) {
        step = Step.ANSWERING;
        dropAttempt();
        relay.release();
        if (!body.discard()) {
            writer.closeAfter(); // the rest of the body will not be read: the stream is out of step
        }
        writer.full(res, clientHeadMethod);
    }

    @Override
    public void tooLarge(long limit) {
        writer.closeAfter(); // the rest is not read: the stream is no longer in step
        fail(ProxyError.of(ErrorKind.BAD_REQUEST, "request body larger than " + limit + " bytes", null).withStatus(413));
    }

    @Override
    public void clientTimedOut(ProxyError timeout) {
        metrics.clientTimedOut();
        fail(timeout);
    }

    @Override
    public void failed(ProxyError failure) {
        fail(failure);
    }

    @Override
    public void pauseClient(boolean pause) {
        client.pauseReading(pause);
    }

    @Override
    public void due(long deadline) {
        client.due(deadline);
    }

    // ------------------------------------------------------------------ the client connection's events

    /** A part of the request body from the client (ownership passes). */
    public void onRequestContent(HttpContent content) {
        body.onPart(content);
    }

    /** Whether the client's request has arrived whole (the next bytes are the next request). */
    public boolean requestComplete() {
        return body.complete();
    }

    /** The end of a client read batch: flush what went upstream during it. */
    public void flushUpstream() {
        if (attempt != null) {
            attempt.flush();
        }
    }

    /** The client connection's writability changed: pause or resume reading from the backend. */
    public void onClientWritabilityChanged(boolean writable) {
        writer.writabilityChanged(writable);
        if (attempt != null) {
            if (writable) {
                attempt.resumeReading(Attempt.PAUSE_CLIENT);
            } else {
                attempt.pauseReading(Attempt.PAUSE_CLIENT);
            }
        }
    }

    /** The client connection closed under this request. */
    public void onClientClosed() {
        if (step == Step.FINISHED) {
            return;
        }
        writer.closeAfter();
        if (writer.state() == ResponseWriter.State.DONE) {
            finish(); // answered; the client left while the rest of its body was being dropped
            return;
        }
        fail(ProxyError.of(ErrorKind.CLIENT_ABORT, "client closed the connection "
                + (writer.started() ? "before the response was complete" : "before it was answered"), null));
    }

    /**
     * The connection's timer asks: fails whatever waited too long (a plugin's stage, the client's
     * body or reading, the backend, the total budget). Returns when to look again (0: nothing waits).
     */
    public long checkDeadlines(long now) {
        long next = phases == null ? 0 : phases.check(now);
        if (step != Step.FINISHED) {
            next = Clock.earliest(next, body.check(now));
        }
        if (step != Step.FINISHED) {
            next = Clock.earliest(next, relay.check(now));
        }
        if (step != Step.FINISHED) {
            next = Clock.earliest(next, writer.check(now));
        }
        if (step != Step.FINISHED && attempt != null) {
            next = Clock.earliest(next, attempt.check(now));
        }
        if (step != Step.FINISHED && !over() && firstAttemptNanos != 0 && upstreamStatus == 0
                && proxy.upstream().totalTimeout() != null) {
            long deadline = firstAttemptNanos + proxy.upstream().totalTimeout().toNanos();
            if (now - deadline >= 0) {
                fail(ProxyError.of(ErrorKind.UPSTREAM_TIMEOUT, "no response head within upstream.total_timeout ("
                        + proxy.upstream().totalTimeout().toMillis() + " ms) over " + attempts + " attempt(s)", null));
            } else {
                next = Clock.earliest(next, deadline);
            }
        }
        return step == Step.FINISHED ? 0 : next;
    }

    // ------------------------------------------------------------------ the end

    /** The last part of the response (relayed or local) has been written, or failed to be. */
    @Override
    public void written(boolean ok) {
        if (step == Step.FINISHED) {
            return;
        }
        if (!ok) {
            fail(ProxyError.of(ErrorKind.CLIENT_ABORT, "client went away before the response was sent", null));
            return;
        }
        if (body.state() == RequestBody.State.DISCARDING) {
            return; // finishes when the rest of the body has been read and dropped
        }
        if (!body.complete()) {
            writer.closeAfter(); // the backend answered before the client finished sending
        }
        finish();
    }

    @Override
    public void discarded() {
        if (writer.state() == ResponseWriter.State.DONE) {
            finish();
        }
    }

    private void finish() {
        if (step == Step.FINISHED) {
            return;
        }
        step = Step.FINISHED;
        try {
            dropAttempt();
            body.release();
            relay.release();
            if (contexts != null) {
                runLogging();
            }
            long end = System.nanoTime();
            metrics.requestFinished(methodIndex, writer.status(), end - startNanos);
            if (error != null && error.kind() == ErrorKind.CLIENT_ABORT) {
                metrics.clientAborted();
            }
            proxy.accessLog().record(session, originalUri, end);
        } finally {
            chain.release(); // after logging: the chain's plugins may be stopped once the last lease is back
        }
        client.finished(this, !writer.closing() && body.complete());
    }

    private void runLogging() {
        for (int position : chain.positions(Phase.LOGGING)) {
            ChainLink link = chain.link(position);
            try {
                link.plugin().logging(session, contexts[position]);
            } catch (Throwable t) {
                PhaseLoop.rethrowIfFatal(t);
                metrics.pluginFailed(link.pluginId(), Phase.LOGGING.label());
                proxy.errors().report(PhaseLoop.failure(link, Phase.LOGGING, t), this);
            }
        }
    }

    // ------------------------------------------------------------------ for the session view

    Downstream downstream() {
        return client;
    }

    String requestId() {
        return requestId;
    }

    long index() {
        return index;
    }

    RequestView clientHead() {
        return clientHead;
    }

    UpstreamHead upstreamHead() {
        return upstreamHead;
    }

    ResponseRelay relay() {
        return relay;
    }

    ResponseWriter writer() {
        return writer;
    }

    RequestBody body() {
        return body;
    }

    Peer peer() {
        return peer;
    }

    long startNanos() {
        return startNanos;
    }

    ProxyError error() {
        return error;
    }

    String respondedBy() {
        return respondedBy;
    }

    int upstreamStatus() {
        return upstreamStatus;
    }

    int attempts() {
        return attempts;
    }

    @Override
    public String toString() {
        return "request " + requestId + " " + request.method() + " " + originalUri;
    }
}
