package dev.turnpike.runtime.exchange;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyError;
import dev.turnpike.runtime.chain.Chain.Phase;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.wire.HopByHop;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;

/**
 * The backend's response on its way to the client: works out its framing from what was actually
 * sent upstream, runs response_filter on the head and response_body_filter on each chunk, and
 * hands the result to the {@link ResponseWriter}. While a filter's stage is pending, reading from
 * the backend pauses (its silence clock with it) and what was already read waits here, in order.
 *
 * <p>Confined to the request's event loop.
 */
final class ResponseRelay implements PhaseLoop.Owner {

    /** Where the relayed response stands. */
    enum Stage { AWAITING_HEAD, FILTERING_HEAD, STREAMING, DONE }

    /** What of a body goes to the client: decided as the head goes, from its final status. */
    enum ToClient {
        /** None, and the head tells of the body a GET would get: the client asked HEAD, or the status is 204/304. */
        NONE,
        /** None came from the backend (a HEAD went upstream, or its 204/304 became another status): length 0. */
        EMPTY,
        /** The backend's body, as the filters leave it. */
        BODY
    }

    /** What the relay reports to: the request. */
    interface Owner {
        /** A response filter failed, or the body came out at another length than its head said. */
        void fail(ProxyError error);

        boolean over();
    }

    private final Owner owner;
    private final ResponseWriter writer;
    private final boolean clientHead;
    private PhaseLoop headFilters;
    private PhaseLoop bodyFilters;
    private String bodyFilterPlugins;

    private Stage stage = Stage.AWAITING_HEAD;
    private Attempt attempt;
    private HttpResponse head;
    private ResponseView view;
    private long length;
    private String lengthText;
    /** Whether the backend sends no body (a HEAD went upstream, or it answered 204/304). */
    private boolean upstreamNoBody;
    private ToClient toClient = ToClient.BODY;
    private final ArrayDeque<HttpContent> held = new ArrayDeque<>(0);
    private BodyPart filtering;
    private boolean inDrain;

    /** @param clientHead whether the client's request is a HEAD (its response carries no body whatever went upstream) */
    ResponseRelay(Owner owner, ResponseWriter writer, boolean clientHead) {
        this.owner = owner;
        this.writer = writer;
        this.clientHead = clientHead;
    }

    /** The filter loops, once the plugins' contexts exist (null where no plugin has the phase). */
    void filters(PhaseLoop headFilters, PhaseLoop bodyFilters, String bodyFilterPlugins) {
        this.headFilters = headFilters;
        this.bodyFilters = bodyFilters;
        this.bodyFilterPlugins = bodyFilterPlugins;
    }

    /** The response head as plugins see it, or null before one arrived. */
    ResponseView view() {
        return view;
    }

    Stage stage() {
        return stage;
    }

    /** The backend's response head arrived on {@code from}. */
    void head(Attempt from, HttpResponse r) {
        attempt = from;
        head = r;
        upstreamNoBody = from.head().isHead() || bodiless(r.status().code());
        // The decoder admits Transfer-Encoding only as exactly "chunked": its presence says it all.
        boolean chunked = r.headers().contains(HttpHeaderNames.TRANSFER_ENCODING);
        lengthText = chunked ? null : r.headers().get(HttpHeaderNames.CONTENT_LENGTH);
        length = upstreamNoBody ? 0 : lengthText != null ? Long.parseLong(lengthText.trim()) : -1;
        String switchedTo = r.status().code() == 101 ? r.headers().get(HttpHeaderNames.UPGRADE) : null;
        HopByHop.strip(r.headers());
        if (switchedTo != null) {
            r.headers().set(HttpHeaderNames.UPGRADE, switchedTo); // the protocol the client is switched to
        }
        view = new ResponseView(r, length);
        if (headFilters == null) {
            sendHead();
            return;
        }
        stage = Stage.FILTERING_HEAD;
        view.editable(true);
        headFilters.run(Phase.RESPONSE_FILTER);
        if (headFilters.parked()) {
            attempt.pauseReading(BackendSilence.PAUSE_RESPONSE_FILTER); // hold the body back while a filter thinks
        }
    }

    private static boolean bodiless(int status) {
        return status == 204 || status == 304 || status == 101;
    }

    private void sendHead() {
        view.editable(false);
        stage = Stage.STREAMING;
        // From the status as the filters left it: a 204 made a 200 needs a length, a 200 made a 204 none.
        toClient = clientHead || bodiless(head.status().code()) ? ToClient.NONE
                : upstreamNoBody ? ToClient.EMPTY : ToClient.BODY;
        if (toClient == ToClient.NONE) {
            writer.head(head, 0, null, true, !view.touched()); // the headers describe what is not sent
        } else if (toClient == ToClient.EMPTY) {
            writer.head(head, 0, null, false, false); // nothing follows: the client is told so
        } else {
            long declared = view.declaredLength();
            writer.head(head, declared != ResponseView.UNDECLARED ? declared : length,
                    declared != ResponseView.UNDECLARED ? null : lengthText, false, !view.touched());
        }
    }

    /** A part of the response body (ownership passes). */
    void content(HttpContent part) {
        if (stage != Stage.STREAMING || filtering != null || !held.isEmpty()) {
            held.add(part);
            return;
        }
        forward(part);
    }

    /** Returns false when a body filter parked on the part. */
    private boolean forward(HttpContent part) {
        boolean last = part instanceof LastHttpContent;
        if (toClient != ToClient.BODY) {
            part.release(); // nothing of a body goes to the client
            if (last) {
                stage = Stage.DONE;
                writer.end(LastHttpContent.EMPTY_LAST_CONTENT);
            }
            return true;
        }
        if (bodyFilters == null) {
            if (last) {
                stage = Stage.DONE;
            }
            if (!writer.body(part)) { // the decoder's own part, passed on as it is
                lengthBroken(last);
            }
            return true;
        }
        HttpHeaders trailers = last ? ((LastHttpContent) part).trailingHeaders() : null;
        filtering = new BodyPart(part.content(), last, trailers);
        bodyFilters.run(Phase.RESPONSE_BODY_FILTER, filtering);
        if (filtering != null) {
            attempt.pauseReading(BackendSilence.PAUSE_BODY_FILTER);
            return false;
        }
        return true;
    }

    /** What came out of the body filters. */
    private void write(ByteBuf data, boolean last, HttpHeaders trailers) {
        if (last) {
            stage = Stage.DONE;
        }
        if (!(last ? writer.end(data, trailers) : writer.body(data))) {
            lengthBroken(last);
        }
    }

    private void lengthBroken(boolean atTheEnd) {
        stage = Stage.DONE;
        owner.fail(ProxyError.plugin(bodyFilterPlugins != null ? bodyFilterPlugins : "-",
                Phase.RESPONSE_BODY_FILTER.label(), "the response body came out of response_body_filter at "
                        + (atTheEnd ? "" : "more than ") + writer.bodyBytes() + " bytes, not the "
                        + writer.head().headers().get(HttpHeaderNames.CONTENT_LENGTH) + " its head announced", null));
    }

    @Override
    public void phaseDone(Phase phase, Outcome decision, ChainLink by) {
        if (phase == Phase.RESPONSE_FILTER) {
            sendHead();
            attempt.resumeReading(BackendSilence.PAUSE_RESPONSE_FILTER);
        } else {
            BodyPart p = filtering;
            filtering = null;
            write(p.take(), p.last(), p.trailers());
            attempt.resumeReading(BackendSilence.PAUSE_BODY_FILTER);
        }
        if (!inDrain) {
            drain();
        }
    }

    private void drain() {
        inDrain = true;
        try {
            HttpContent part;
            while (stage == Stage.STREAMING && filtering == null && !owner.over() && (part = held.poll()) != null) {
                forward(part);
            }
        } finally {
            inDrain = false;
        }
    }

    @Override
    public void phaseFailed(Phase phase, ProxyError error) {
        if (view != null) {
            view.editable(false); // logging and fail_to_proxy see it, read-only
        }
        if (filtering != null) {
            filtering.release();
            filtering = null;
        }
        stage = Stage.DONE;
        owner.fail(error);
    }

    @Override
    public boolean over() {
        return owner.over();
    }

    /** The request's timer asks: a filter stage pending past the phase timeout. */
    long check(long now) {
        long next = headFilters == null ? 0 : headFilters.check(now);
        return bodyFilters == null ? next : Clock.earliest(next, bodyFilters.check(now));
    }

    /** Lets go of whatever is held (the request is over). */
    void release() {
        HttpContent part;
        while ((part = held.poll()) != null) {
            part.release();
        }
        if (filtering != null) {
            filtering.release();
            filtering = null;
        }
    }
}
