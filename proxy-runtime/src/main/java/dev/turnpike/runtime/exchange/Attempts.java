package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.runtime.config.UpstreamSettings;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.upstream.Connections;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;

/**
 * A request's attempts: starts each one, wires what it reports to the two sides (its response to
 * the {@link ResponseRelay}, its writability to the {@link RequestBody}), holds the budget of
 * {@code upstream.total_timeout} over all of them, and hands a failed one back to the request,
 * which decides whether another follows. At most one attempt is current; a late event from one
 * that was let go is dropped.
 *
 * <p>Confined to the request's event loop.
 */
final class Attempts implements AttemptOwner {

    /** What the attempts report to: the request's coordinator. */
    interface Owner {
        /** The connection is ready and the head about to go (connected_to_upstream runs now). */
        void connected(Attempt attempt);

        /** The attempt failed; it is no longer current. */
        void attemptFailed(Attempt attempt, ProxyError error);

        /** The backend's response head arrived: the request is answered from here on. */
        void answered(int status);

        void fail(ProxyError error);
    }

    private final Owner owner;
    private final Downstream client;
    private final Connections connections;
    private final ProxyMetrics metrics;
    private final UpstreamSettings settings;
    private final RequestBody body;
    private final ResponseRelay relay;
    private final ResponseWriter writer;
    private Attempt current;
    private int count;
    /** Every attempt's record for the access log, in order; made at the first attempt. */
    private java.util.List<dev.turnpike.runtime.log.UpstreamTry> tries;
    /** When the backends' budget (upstream.total_timeout) started: the first attempt, or the end of the upload if later. */
    private long budgetStart;
    private boolean answered;
    private boolean expectContinue;

    Attempts(Owner owner, Downstream client, Connections connections, UpstreamSettings settings, RequestBody body,
             ResponseRelay relay, ResponseWriter writer, boolean expectContinue) {
        this.owner = owner;
        this.client = client;
        this.connections = connections;
        this.metrics = client.proxy().metrics();
        this.settings = settings;
        this.body = body;
        this.relay = relay;
        this.writer = writer;
        this.expectContinue = expectContinue;
    }

    /** How many attempts were made. */
    int count() {
        return count;
    }

    /** The attempts' records for the access log (null when none was made). */
    java.util.List<dev.turnpike.runtime.log.UpstreamTry> tries() {
        return tries;
    }

    /** Starts the next attempt: to {@code peer} with {@code head}, on a new connection when {@code fresh}. */
    void start(Peer peer, UpstreamHead head, boolean fresh) {
        count++;
        if (count == 1 && body.complete()) {
            startBudget();
        }
        current = new Attempt(this, connections, metrics, peer, head, count, settings.readTimeout(), settings.writeTimeout());
        if (tries == null) {
            tries = new java.util.ArrayList<>(2);
        }
        tries.add(current.log());
        current.start(fresh);
    }

    /**
     * The client's body has arrived: the backends' time budget runs from now (or from the first
     * attempt, if that comes later). A slow upload is the client's to answer for, not the backends'.
     */
    void bodyReceived() {
        if (count > 0) {
            startBudget();
        }
    }

    private void startBudget() {
        if (budgetStart == 0 && settings.totalTimeout() != null) {
            budgetStart = System.nanoTime();
            client.due(budgetStart + settings.totalTimeout().toNanos());
        }
    }

    /** The connection of the current attempt, which the backend switched to another protocol; null if none. */
    dev.turnpike.runtime.upstream.PooledConnection takeSwitched() {
        if (current == null) {
            return null;
        }
        var c = current.handOver();
        if (c != null) {
            current = null;
        }
        return c;
    }

    /** Lets the current attempt go (the request was answered otherwise, or is over). */
    void drop() {
        if (current != null) {
            Attempt a = current;
            current = null;
            a.abandon();
        }
        body.detach();
    }

    /** The end of a client read batch: what went upstream during it is flushed. */
    void flush() {
        if (current != null) {
            current.flush();
        }
    }

    /** The client's writability changed: reading from the backend follows it. */
    void clientWritable(boolean writable) {
        if (current != null) {
            if (writable) {
                current.resumeReading(BackendSilence.PAUSE_CLIENT);
            } else {
                current.pauseReading(BackendSilence.PAUSE_CLIENT);
            }
        }
    }

    /** The request's timer asks: the current attempt's clocks, and the total budget until a response head. */
    long check(long now) {
        long next = current == null ? 0 : current.check(now);
        if (budgetStart == 0 || answered) {
            return next;
        }
        long deadline = budgetStart + settings.totalTimeout().toNanos();
        if (now - deadline < 0) {
            return Clock.earliest(next, deadline);
        }
        owner.fail(ProxyError.of(ErrorKind.UPSTREAM_TIMEOUT, "no response head within upstream.total_timeout ("
                + settings.totalTimeout().toMillis() + " ms, from the end of the request) over " + count + " attempt(s)", null));
        return 0;
    }

    // ---- what the current attempt reports

    @Override
    public void connected(Attempt a) {
        if (a == current) {
            owner.connected(a);
        }
    }

    @Override
    public void headSent(Attempt a) {
        if (a != current) {
            return;
        }
        if (expectContinue && !body.complete()) {
            expectContinue = false; // once per request, also across retries
            writer.continue100();
            body.continueSent();
        }
        body.attach(a);
    }

    @Override
    public void interim(Attempt a, HttpResponse head) {
        if (a == current) {
            writer.batch(true);
            writer.interim(head);
        }
    }

    @Override
    public void responseHead(Attempt a, HttpResponse head) {
        if (a != current) {
            return;
        }
        answered = true;
        body.stopKeeping(); // the backend answered: no retry from here on
        owner.answered(head.status().code());
        writer.batch(true);
        relay.head(a, head);
    }

    @Override
    public void responseContent(Attempt a, HttpContent part) {
        if (a != current) {
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
    public void failed(Attempt a, ProxyError error) {
        if (a != current) {
            return;
        }
        current = null;
        body.detach();
        owner.attemptFailed(a, error);
    }

    @Override
    public void writabilityChanged(Attempt a, boolean writable) {
        if (a == current) {
            body.sinkWritable();
        }
    }

    @Override
    public void due(long deadline) {
        client.due(deadline);
    }

    @Override
    public boolean inClientRead() {
        return client.inRead();
    }
}
