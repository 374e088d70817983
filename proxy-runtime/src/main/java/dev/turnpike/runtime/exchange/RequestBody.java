package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Response;
import dev.turnpike.runtime.chain.Chain.Phase;
import dev.turnpike.runtime.chain.ChainLink;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;

/**
 * The request body, from the client to whichever attempt is current: holds a little while no
 * attempt can take it, runs it through the request_body_filters once, keeps what went out (within
 * {@code upstream.retry_body_limit}) so a retry can send it again, and pauses the client when the
 * backend, a filter or the holding space is full. Also the client's side of the body's timeout:
 * {@code server.request_body_timeout} runs while a body is expected and the proxy is reading.
 *
 * <p>Confined to the request's event loop.
 */
final class RequestBody implements PhaseLoop.Owner {

    /** Where the client's body stands. */
    enum State {
        /** More is expected, and goes upstream. */
        RECEIVING,
        /** More is expected, and is read and dropped (the request was answered without it). */
        DISCARDING,
        /** All of it has arrived (or there is none). */
        COMPLETE
    }

    /** What the body reports to: the request. */
    interface Owner {
        void pauseClient(boolean pause);

        void due(long deadline);

        /** More body than {@code server.max_body_size} arrived. */
        void tooLarge(long limit);

        /** The client was silent while its body was expected. */
        void clientTimedOut(ProxyError error);

        /** A request_body_filter refused the request with its own response. */
        void refused(Response response, ChainLink by);

        /** A request_body_filter failed, or the body came out at another length than declared. */
        void fail(ProxyError error);

        /** The last part arrived while the body was being dropped. */
        void discarded();

        /** The whole body has arrived from the client (not called for a request without one). */
        void bodyReceived();

        boolean over();
    }

    /** Body held while no attempt can take it, before reading from the client pauses. */
    static final long MAX_HELD_BYTES = 64 * 1024;
    /** The most body read and dropped to keep a connection after answering early. */
    static final long MAX_DISCARD_BYTES = 64 * 1024;

    private final Owner owner;
    private final boolean hasBody;
    private final long clientLength;
    private final long maxBody;
    private final Clock idle;
    private State state;
    private PhaseLoop filters;
    private String filterPlugins;

    private final ArrayDeque<BodyPart> held = new ArrayDeque<>(2);
    private long heldBytes;
    private long received;
    private BodyPart filtering;
    private boolean inPump;
    private boolean paused;
    private boolean awaitingContinue;

    private BodySink sink;
    private boolean endSent;
    private long sentToSink;
    /** Body bytes that went to any attempt, and whether the body's end did: what a resend must repeat. */
    private long bytesDelivered;
    private boolean endDelivered;

    private final KeptBody kept;

    /**
     * @param hasBody        whether the client's head announced a body
     * @param clientLength   its Content-Length, or -1 (chunked)
     * @param maxBody        {@code server.max_body_size}, 0 for no limit
     * @param keeping        whether to keep what goes out for a resend (the chain can ask for retries)
     * @param keepLimit      {@code upstream.retry_body_limit}
     * @param expectContinue whether the client waits for a 100 Continue before sending the body
     */
    RequestBody(Owner owner, boolean hasBody, long clientLength, long maxBody, boolean keeping, int keepLimit,
                long timeoutNanos, boolean expectContinue) {
        this.owner = owner;
        this.hasBody = hasBody;
        this.clientLength = clientLength;
        this.maxBody = maxBody;
        this.kept = new KeptBody(keeping, keepLimit);
        this.idle = new Clock(timeoutNanos);
        this.state = hasBody ? State.RECEIVING : State.COMPLETE;
        this.awaitingContinue = expectContinue;
        if (state == State.RECEIVING && !expectContinue) {
            owner.due(idle.arm(System.nanoTime()));
        }
    }

    /** The body filters, once the plugins' contexts exist; {@code plugins} names them for a length mismatch. */
    void filters(PhaseLoop filters, String plugins) {
        this.filters = filters;
        this.filterPlugins = plugins;
    }

    State state() {
        return state;
    }

    boolean complete() {
        return state == State.COMPLETE;
    }

    long receivedBytes() {
        return received;
    }

    /** Whether all of the body (or none) went to the current attempt, its end included. */
    boolean fullySent() {
        return endSent;
    }

    /**
     * Whether everything of the body that went out to any attempt is kept, so a new attempt can
     * send it again: nothing went out, or all of it is kept.
     */
    boolean kept() {
        return bytesDelivered == 0 || kept.intact();
    }

    // ---- from the client

    /** A part of the body from the client; ownership passes. */
    void onPart(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            // The rest of the stream cannot be framed: the body stays incomplete, so the attempt is
            // never ended and the connection closes after the answer.
            content.release();
            owner.fail(ProxyError.of(ErrorKind.BAD_REQUEST, "malformed request body: "
                    + content.decoderResult().cause().getMessage(), null).withStatus(400));
            return;
        }
        int n = content.content().readableBytes();
        boolean last = content instanceof LastHttpContent;
        if (state == State.COMPLETE) {
            content.release(); // the empty end the decoder adds to a request without a body
            return;
        }
        received += n;
        long now = System.nanoTime();
        idle.touch(now);
        if (state == State.DISCARDING) {
            content.release();
            if (last) {
                state = State.COMPLETE;
                idle.disarm();
                owner.discarded();
            }
            return;
        }
        if (maxBody > 0 && received > maxBody) {
            content.release();
            owner.tooLarge(maxBody);
            return;
        }
        HttpHeaders trailers = last && !((LastHttpContent) content).trailingHeaders().isEmpty()
                ? ((LastHttpContent) content).trailingHeaders() : null;
        if (last) {
            state = State.COMPLETE;
            idle.disarm();
            owner.bodyReceived();
        }
        held.add(new BodyPart(content.content(), last, trailers));
        heldBytes += n;
        pump();
        updatePause();
    }

    /** The 100 Continue went out: from now on the client is expected to send. */
    void continueSent() {
        awaitingContinue = false;
        if (state == State.RECEIVING && !paused) {
            owner.due(idle.arm(System.nanoTime()));
        }
    }

    /** The request's timer asks: the client's silence, and a pending filter stage. */
    long check(long now) {
        if (idle.expired(now)) {
            idle.disarm();
            owner.clientTimedOut(ProxyError.of(ErrorKind.CLIENT_TIMEOUT, "client sent no request body bytes for "
                    + idle.timeoutMillis() + " ms (server.request_body_timeout)", null));
            return 0;
        }
        long next = idle.deadline();
        return filters == null ? next : Clock.earliest(next, filters.check(now));
    }

    // ---- to the current attempt

    /** The attempt's head went out: it takes what was kept from earlier attempts, then the rest. */
    void attach(BodySink attempt) {
        sink = attempt;
        sentToSink = kept.replay(attempt);
        endSent = kept.hasEnd();
        if (!endSent && (!hasBody || endDelivered && bytesDelivered == 0)) {
            // No body, or an empty one (Content-Length: 0) whose end went to an earlier attempt:
            // nothing was kept, nothing will come, and this attempt's message must end too.
            attempt.endBody(null);
            endSent = true;
        }
        if (lengthBroken(attempt, endSent)) {
            return;
        }
        pump();
        updatePause();
    }

    /**
     * A body framed by Content-Length must come out at that length, or the backend would read the
     * rest as a request of its own (or wait for bytes that never come): fails the request when what
     * went to {@code to} so far is already past the length, or short of it at the end.
     */
    private boolean lengthBroken(BodySink to, boolean ended) {
        UpstreamHead head = to.head();
        long announced = head.chunked() ? -1 : head.bodyLength();
        if (announced < 0 || (sentToSink <= announced && (!ended || sentToSink == announced))) {
            return false;
        }
        owner.fail(ProxyError.plugin(filterPlugins != null ? filterPlugins : "-", Phase.REQUEST_BODY_FILTER.label(),
                "the request body came out of request_body_filter at " + (ended ? "" : "more than ") + sentToSink
                        + " bytes, not the " + announced + " its upstream head announced", null));
        return true;
    }

    /** The attempt failed or was let go: what arrives now is held for the next one. */
    void detach() {
        sink = null;
        updatePause();
    }

    /** The backend's answer arrived: no retry from here on, so nothing more is kept. */
    void stopKeeping() {
        kept.stop();
    }

    /** The current attempt's writability changed. */
    void sinkWritable() {
        updatePause();
    }

    private void pump() {
        inPump = true;
        try {
            while (sink != null && filtering == null && !held.isEmpty() && !owner.over()) {
                BodyPart p = held.poll();
                heldBytes -= p.length();
                if (filters != null && !p.filtered()) {
                    filtering = p;
                    filters.run(Phase.REQUEST_BODY_FILTER, p);
                    if (filtering != null) {
                        return; // a filter's stage is pending; it resumes the pump
                    }
                } else {
                    deliver(p);
                }
            }
        } finally {
            inPump = false;
        }
    }

    @Override
    public void phaseDone(Phase phase, Outcome decision, ChainLink by) {
        BodyPart p = filtering;
        filtering = null;
        p.markFiltered();
        if (decision != null) {
            p.release();
            owner.refused(decision.response(), by);
            return;
        }
        if (sink != null) {
            deliver(p);
        } else {
            held.addFirst(p); // the attempt failed while the filter ran: the next one takes it as it is
            heldBytes += p.length();
        }
        if (!inPump) {
            pump();
            updatePause();
        }
    }

    @Override
    public void phaseFailed(Phase phase, ProxyError error) {
        if (filtering != null) {
            filtering.release();
            filtering = null;
        }
        owner.fail(error);
    }

    @Override
    public boolean over() {
        return owner.over();
    }

    private void deliver(BodyPart p) {
        ByteBuf data = p.take();
        int n = data.readableBytes();
        sentToSink += n;
        if (lengthBroken(sink, p.last())) {
            data.release();
            return;
        }
        bytesDelivered += n;
        endDelivered |= p.last();
        kept.keep(data, p.last(), p.trailers());
        if (n > 0) {
            sink.writeBody(data);
        } else {
            data.release();
        }
        if (p.last()) {
            sink.endBody(p.trailers());
            endSent = true;
        }
    }

    private void updatePause() {
        boolean pause = heldBytes > MAX_HELD_BYTES || filtering != null || (sink != null && !sink.writable());
        if (pause == paused) {
            return;
        }
        paused = pause;
        owner.pauseClient(pause);
        if (pause) {
            idle.disarm(); // not reading is our doing, not the client's
        } else if (state != State.COMPLETE && !awaitingContinue) {
            owner.due(idle.arm(System.nanoTime()));
        }
    }

    // ---- answered without the body

    /**
     * The request was answered without (the rest of) its body: drop what is held, and, when
     * {@code keepConnection}, read and drop what is still coming if that is little enough. Returns
     * false when the connection must close instead (it closes anyway; a client waiting for
     * 100 Continue may never send; a large rest is not worth reading).
     */
    boolean discard(boolean keepConnection) {
        releaseHeld();
        kept.release();
        sink = null;
        if (state != State.RECEIVING) {
            return true;
        }
        long remaining = clientLength >= 0 ? clientLength - received : Long.MAX_VALUE;
        if (!keepConnection || awaitingContinue || remaining > MAX_DISCARD_BYTES) {
            idle.disarm();
            return false;
        }
        state = State.DISCARDING;
        if (paused) {
            paused = false;
            owner.pauseClient(false); // an attempt that is gone may have paused the reading
        }
        owner.due(idle.arm(System.nanoTime()));
        return true;
    }

    /** Lets go of everything held (the request is over). */
    void release() {
        idle.disarm();
        releaseHeld();
        kept.release();
        sink = null;
    }

    private void releaseHeld() {
        BodyPart p;
        while ((p = held.poll()) != null) {
            p.release();
        }
        heldBytes = 0;
        if (filtering != null) {
            filtering.release();
            filtering = null;
        }
    }
}
