package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Response;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.Chain.Phase;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.wire.ConnectionTokens;
import dev.turnpike.runtime.wire.RequestFraming;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;

/**
 * One request, from its head to its logging phase: the coordinator. It owns the order of the
 * phases, the decision to retry, the one failure path and the finish; the work is done by its
 * parts, each with its own state: the {@link RequestBody} (client to backend), the
 * {@link Attempts} (one {@link Attempt} per try), the {@link ResponseRelay} (backend to client,
 * through the response filters) and the {@link ResponseWriter} (the client's side of the
 * response). Plugins see it through a {@link SessionView}.
 *
 * <p>Confined to the client connection's event loop.
 */
final class ProxyRequest implements ClientRequest, PhaseLoop.Owner, Attempts.Owner, RequestBody.Owner, ResponseWriter.Owner,
        ResponseRelay.Owner, LocalAnswers.Owner, ForwardRequest.Owner {

    private static final io.netty.util.AsciiString PROXY_AUTHORIZATION = io.netty.util.AsciiString.cached("proxy-authorization");

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
        /** The backend switched protocols: the connections relay bytes until both close, then logging runs. */
        TUNNELING,
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
    private final Attempts attempts;
    private final LocalAnswers answers;
    private final RequestFacts facts;
    private final int methodIndex;
    private final String originalUri;
    /** What the client's head said, as it arrived. */
    private final IncomingHead incoming;
    private final boolean retriesWanted;
    /** How the request may leave HTTP (an upgrade, a CONNECT): the tunnel it may become. */
    private final Switching switching;
    /** A forward request's part (forward_proxy on, a CONNECT or an absolute-form target), or null. */
    private final ForwardRequest forward;

    private Step step = Step.NEW;
    private Object[] contexts;
    private Hooks hooks;
    private PhaseLoop phases;

    ProxyRequest(Downstream client, HttpRequest request, long index) {
        this.client = client;
        this.proxy = client.proxy();
        this.metrics = proxy.metrics();
        this.chain = proxy.acquireChain();
        this.request = request;
        this.originalUri = request.uri();
        this.methodIndex = ProxyMetrics.methodIndex(request.method().name());
        IncomingHead in = IncomingHead.of(request);
        this.incoming = in;
        String incomingId = request.headers().get(RequestIds.HEADER);
        this.facts = new RequestFacts(RequestIds.wellFormed(incomingId) ? incomingId : client.loop().nextRequestId(), index);
        facts.forwardTarget = in.decoded() && proxy.forwarding() != null ? dev.turnpike.runtime.wire.ForwardTarget.of(request) : null;
        this.forward = facts.forwardTarget == null ? null
                : new ForwardRequest(this, proxy.forwarding(), facts.forwardTarget, in.connect(), client.channel().eventLoop());
        // A forward request has no upstream_peer to ask again: the failure hooks are not asked.
        this.retriesWanted = forward == null && chain.positions(Phase.FAIL_TO_CONNECT).length + chain.positions(Phase.ERROR_WHILE_PROXYING).length > 0;
        this.switching = Switching.of(request, in, forward != null);
        this.clientHead = new RequestView(request, in.framing(), in.contentLength());
        this.writer = new ResponseWriter(client.channel(), this, in.http10(), ConnectionTokens.keepAlive(request), proxy.closingCheck(),
                facts.requestId, proxy.server().sendTimeout().toNanos());
        this.relay = new ResponseRelay(this, writer, in.headMethod());
        this.body = new RequestBody(this, in.hasBody(), in.contentLength(), proxy.server().maxBodyBytes(),
                retriesWanted, proxy.upstream().retryBodyLimit(), proxy.server().requestBodyTimeout().toNanos(), in.expectContinue());
        this.attempts = new Attempts(this, client, client.loop().connections(), proxy.upstream(), body, relay, writer,
                in.expectContinue());
        this.answers = new LocalAnswers(this, facts, metrics, proxy.errors(), attempts, body, relay, writer,
                client.channel().alloc(), in.headMethod());
        this.session = new SessionView(facts, attempts, client, clientHead, body, relay, writer);
    }

    @Override
    public void start() {
        RequestFraming.Refusal refusal = RequestFraming.refusal(request, incoming.contentLength(), proxy.server().maxBodyBytes(),
                proxy.forwarding() != null);
        if (refusal != null) {
            // No phase runs for a head the proxy cannot take; its stream may not be trusted past it.
            fail(ProxyError.of(ErrorKind.BAD_REQUEST, refusal.reason(), null).withStatus(refusal.status()));
            return;
        }
        IncomingHead.scrub(request, switching, facts.requestId);
        contexts = new Object[chain.size()];
        hooks = new Hooks(chain, contexts, session, metrics, proxy.errors());
        long timeout = proxy.phaseTimeout().toNanos();
        phases = new PhaseLoop(chain, contexts, session, client.channel().eventLoop(), this, metrics, timeout, this::due);
        body.filters(loopFor(Phase.REQUEST_BODY_FILTER, body, timeout), chain.pluginIds(Phase.REQUEST_BODY_FILTER));
        relay.filters(loopFor(Phase.RESPONSE_FILTER, relay, timeout), loopFor(Phase.RESPONSE_BODY_FILTER, relay, timeout),
                chain.pluginIds(Phase.RESPONSE_BODY_FILTER));
        step = Step.PHASES;
        ProxyError failed = hooks.newContexts();
        if (failed != null) {
            fail(failed);
            return;
        }
        phases.run(Phase.REQUEST_FILTER);
    }

    /** A phase loop of its own for a phase that may run while another is parked; null when no plugin has it. */
    private PhaseLoop loopFor(Phase phase, PhaseLoop.Owner owner, long timeoutNanos) {
        return chain.positions(phase).length == 0 ? null
                : new PhaseLoop(chain, contexts, session, client.channel().eventLoop(), owner, metrics, timeoutNanos, this::due);
    }

    // ------------------------------------------------------------------ the head phases

    @Override
    public void phaseDone(Phase phase, Outcome decision, ChainLink by) {
        switch (phase) {
            case REQUEST_FILTER -> {
                if (decision != null) {
                    answers.respond(decision.response(), by, phase);
                } else if (forward != null) {
                    forward.start(); // the origin is the one the request names: no upstream_peer
                } else {
                    phases.run(Phase.UPSTREAM_PEER);
                }
            }
            case UPSTREAM_PEER -> {
                if (decision == null) {
                    fail(ProxyError.of(ErrorKind.NO_PEER, "no plugin chose a backend in upstream_peer", null));
                } else if (decision.kind() == Outcome.Kind.RESPOND) {
                    answers.respond(decision.response(), by, phase);
                } else {
                    toOrigin(decision.peer());
                }
            }
            case UPSTREAM_REQUEST_FILTER -> {
                if (decision != null) {
                    answers.respond(decision.response(), by, phase);
                } else {
                    facts.upstreamHead.freeze();
                    facts.upstreamHead.hostIfMissing(facts.peer.address()); // an HTTP/1.0 client may have sent none
                    step = Step.PROXYING;
                    attempts.start(facts.peer, facts.upstreamHead, false);
                }
            }
            default -> throw new IllegalStateException("unexpected phase " + phase);
        }
    }

    /** The backend is chosen (by upstream_peer, or the forward target's checked address). */
    @Override
    public void toOrigin(dev.turnpike.api.Peer peer) {
        facts.peer = peer;
        // The credentials a client gave the proxy are the proxy's: request_filter had them (a
        // proxy-auth plugin), no backend or origin gets them.
        request.headers().remove(PROXY_AUTHORIZATION);
        // Every attempt's head is an overlay on the client's: from here on that must hold still.
        clientHead.freeze();
        facts.upstreamHead = new UpstreamHead(clientHead, incoming.framing(), incoming.contentLength());
        switching.askBackend(facts.upstreamHead);
        phases.run(Phase.UPSTREAM_REQUEST_FILTER);
    }

    /** A CONNECT's target is connected: the client is told, then both become a tunnel ({@link #written}). */
    @Override
    public void connected(io.netty.channel.Channel target) {
        switching.connectTarget(target);
        writer.established();
    }

    @Override
    public void phaseFailed(Phase phase, ProxyError failure) {
        fail(failure);
    }

    @Override
    public boolean over() {
        return step == Step.ANSWERING || step == Step.FINISHED;
    }

    // ------------------------------------------------------------------ attempts and retries

    @Override
    public void connected(Attempt attempt) {
        ProxyError failed = hooks.connected(attempt);
        if (failed != null) {
            fail(failed);
        }
    }

    @Override
    public void answered(int status) {
        facts.upstreamStatus = status;
    }

    /** An attempt failed on the backend's side; {@link FailedAttempt} decides what follows. */
    @Override
    public void attemptFailed(Attempt a, ProxyError failure) {
        if (over()) {
            return;
        }
        if (failure.kind().side() != ErrorKind.Side.UPSTREAM) {
            fail(failure); // the proxy's own fault (a TLS file it cannot use): no backend is told, or blamed
            return;
        }
        FailedAttempt.Verdict v = FailedAttempt.decide(a, failure, writer.started(), body.kept(),
                proxy.upstream().retryBodyLimit(), attempts.count(), retriesWanted ? hooks : null);
        switch (v.next()) {
            case SAME_BACKEND -> {
                metrics.upstream().retried(a.peer().address());
                attempts.start(a.peer(), a.head(), true);
            }
            case ASK_UPSTREAM_PEER -> {
                metrics.upstream().retried(a.peer().address());
                step = Step.PHASES;
                phases.run(Phase.UPSTREAM_PEER); // session.peer() still names the failed backend
            }
            case FAIL -> fail(v.error());
        }
    }

    // ------------------------------------------------------------------ answers and failures

    /** A plugin answered on its own (request_filter, upstream_peer, upstream_request_filter, request_body_filter). */
    @Override
    public void refused(Response r, ChainLink by) {
        answers.respond(r, by, Phase.REQUEST_BODY_FILTER);
    }

    /** The one failure path (see {@link LocalAnswers#fail}). */
    @Override
    public void fail(ProxyError failure) {
        answers.fail(failure);
    }

    @Override
    public void answering() {
        step = Step.ANSWERING;
    }

    @Override
    public boolean finished() {
        return step == Step.FINISHED;
    }

    @Override
    public Hooks hooks() {
        return hooks;
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
    public void pauseClient(boolean pause) {
        client.pauseReading(pause);
    }

    @Override
    public void due(long deadline) {
        client.due(deadline);
    }

    // ------------------------------------------------------------------ the client connection's events

    @Override
    public void onRequestContent(HttpContent content) {
        body.onPart(content);
    }

    @Override
    public boolean requestComplete() {
        return body.complete();
    }

    @Override
    public void flushUpstream() {
        attempts.flush();
    }

    @Override
    public void onClientWritabilityChanged(boolean writable) {
        writer.writabilityChanged(writable);
        attempts.clientWritable(writable);
    }

    @Override
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

    @Override
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
        if (step != Step.FINISHED && !over()) {
            next = Clock.earliest(next, attempts.check(now));
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
        if (switching.switches(writer.status())) {
            // The client has its 101 (or a CONNECT's 200): both connections leave HTTP, and
            // logging runs when the tunnel has ended.
            step = Step.TUNNELING;
            if (!switching.open(client, this, attempts, this::tunnelEnded)) {
                step = Step.PROXYING;
                fail(ProxyError.of(ErrorKind.INTERNAL, "a 101 was sent without a switched backend connection", null));
            }
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

    private void tunnelEnded(long up, long down, String why) {
        facts.tunnelUp = up;
        facts.tunnelDown = down;
        finish();
    }

    @Override
    public void bodyReceived() {
        attempts.bodyReceived();
    }

    @Override
    public void discarded() {
        if (writer.state() == ResponseWriter.State.DONE) {
            finish();
        }
    }

    @Override
    public void finish() {
        if (step == Step.FINISHED) {
            return;
        }
        step = Step.FINISHED;
        try {
            switching.close(); // a CONNECT target, when the client left before its tunnel opened
            attempts.drop();
            body.release();
            relay.release();
            if (hooks != null) {
                hooks.logging();
            }
            long end = System.nanoTime();
            metrics.requestFinished(methodIndex, writer.status(), end - facts.startNanos,
                    facts.peer == null ? null : facts.peer.group());
            if (facts.error != null && facts.error.kind() == ErrorKind.CLIENT_ABORT) {
                metrics.clientAborted();
            }
            proxy.accessLog().record(session, originalUri, end, attempts.tries(), IncomingHead.unparsed(request));
        } finally {
            chain.release(); // after logging: the chain's plugins may be stopped once the last lease is back
            // Whatever happened above, the connection must learn the request is over, or it would
            // wait for it forever.
            client.finished(this, !writer.closing() && body.complete());
        }
    }

    @Override
    public String toString() {
        return "request " + facts.requestId + " " + request.method() + " " + originalUri;
    }
}
