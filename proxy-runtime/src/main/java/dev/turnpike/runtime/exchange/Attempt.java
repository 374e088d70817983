package dev.turnpike.runtime.exchange;

import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.UpstreamConnection;
import dev.turnpike.runtime.log.UpstreamTry;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.upstream.PooledConnection;
import dev.turnpike.runtime.upstream.UpstreamListener;
import dev.turnpike.runtime.upstream.Connections;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * One try at getting the response from one backend: takes a connection (pooled or new), writes the
 * head and the body the request side hands it, reads the response, and watches the backend's
 * silence. A retry makes a new attempt, so nothing of this one (its connection, its clocks, its
 * half-read response) can leak into the next. Pingora's {@code proxy_1to1} keeps the same state in
 * locals, for the same reason.
 *
 * <p>Its parts: the {@link RequestSender} writes the request, the {@link ResponseReader} follows the
 * response, and the {@link BackendSilence} holds the backend's timeouts, which never run while the
 * client (or a plugin) holds the response back.
 *
 * <p>Confined to the request's event loop, which is also the connection's.
 */
final class Attempt implements UpstreamListener, BodySink {

    /** The connection's lifetime, as this attempt holds it. */
    enum Link {
        CONNECTING,
        /** Still connecting, but no longer wanted: the connection goes to the pool unused. */
        ABANDONED,
        OPEN,
        /**
         * The response is complete; the connection goes back at the end of the read batch, once the
         * decoder has had its say about any bytes after the response (then it is closed instead).
         */
        ENDED,
        RELEASED
    }

    private final AttemptOwner owner;
    private final Connections pool;
    private final Peer peer;
    private final UpstreamHead head;
    private final int number;
    private final BackendSilence silence;
    private final RequestSender sender;
    private final ResponseReader reader;

    private Link link = Link.CONNECTING;
    private PooledConnection connection;
    private boolean reused;
    /** The backend answered 101: the connection leaves HTTP, for a tunnel, never for the pool. */
    private boolean switched;
    /** The TLS version of the connection (taken when it opened), or null for cleartext. */
    private String connectionProtocol;
    /** At the end: whether the connection can carry another request. */
    private boolean reusableAtEnd;
    private Duration connectTime = Duration.ZERO;
    private final AttemptRecord record;

    Attempt(AttemptOwner owner, Connections pool, ProxyMetrics metrics, Peer peer, UpstreamHead head, int number,
            Duration readTimeout, Duration writeTimeout) {
        this.owner = owner;
        this.pool = pool;
        this.peer = peer;
        this.head = head;
        this.number = number;
        this.silence = new BackendSilence(peer.address(),
                (peer.readTimeout() != null ? peer.readTimeout() : readTimeout).toNanos(), writeTimeout.toNanos());
        this.sender = new RequestSender(head, owner::inClientRead);
        this.reader = new ResponseReader(head.isHead());
        this.record = new AttemptRecord(metrics, peer.address());
    }

    /** The access log's record of this attempt. */
    UpstreamTry log() {
        return record.log();
    }

    Peer peer() {
        return peer;
    }

    @Override
    public UpstreamHead head() {
        return head;
    }

    int number() {
        return number;
    }

    boolean reused() {
        return reused;
    }

    /** The connection as connected_to_upstream sees it (made only when a plugin asks). */
    UpstreamConnection connection() {
        Channel ch = connection.channel();
        return new UpstreamConnection(peer, reused, connectTime, (InetSocketAddress) ch.localAddress(),
                (InetSocketAddress) ch.remoteAddress());
    }

    /** Whether the backend's response head has arrived. */
    boolean answered() {
        return reader.answered();
    }

    RequestSender.Send send() {
        return sender.state();
    }

    ResponseReader.Receive receive() {
        return reader.state();
    }

    /** Takes an idle pooled connection to the peer (unless {@code fresh}), or opens one on this loop. */
    void start(boolean fresh) {
        PooledConnection idle = fresh ? null : pool.pollIdle(peer);
        if (idle != null) {
            reused = true;
            open(idle, Duration.ZERO);
            return;
        }
        record.connecting();
        Future<PooledConnection> f = pool.connect(peer);
        if (f.isDone()) {
            onConnect(f);
        } else {
            f.addListener(done -> onConnect(f));
        }
    }

    private void onConnect(Future<PooledConnection> f) {
        if (link == Link.ABANDONED) {
            link = Link.RELEASED;
            if (f.isSuccess()) {
                f.getNow().release(); // clean and unused: good for the next request
            }
            return;
        }
        if (!f.isSuccess()) {
            link = Link.RELEASED;
            ProxyError error = UpstreamErrors.connectFailed(peer, f.cause());
            record.connectFailed(error.kind());
            owner.failed(this, error);
            return;
        }
        open(f.getNow(), record.connected());
    }

    private void open(PooledConnection c, Duration connectTime) {
        this.connectTime = connectTime;
        connectionProtocol = c.tlsProtocol();
        connection = c;
        link = Link.OPEN;
        c.attach(this);
        if (silence.paused()) {
            c.channel().config().setAutoRead(false);
        }
        record.sending(reused);
        Channel ch = c.channel();
        owner.connected(this);
        if (link != Link.OPEN) {
            return; // connected_to_upstream failed the request
        }
        c.decoder().expectResponseTo(head.isHead(), head.upgrading());
        sender.sendHead(ch);
        if (sender.state() == RequestSender.Send.DONE) {
            armReadClock();
        }
        owner.headSent(this);
        if (!ch.isWritable()) {
            onUpstreamWritabilityChanged(false);
        }
    }

    /** Whether the backend is taking bytes (below the channel's high-water mark). */
    @Override
    public boolean writable() {
        return link == Link.OPEN && connection.channel().isWritable();
    }

    /** A piece of the request body (ownership passes); framed as the head said. */
    @Override
    public void writeBody(ByteBuf data) {
        if (link != Link.OPEN) {
            data.release();
            return;
        }
        sender.body(data);
    }

    /** The end of the request body, with the trailers a chunked body ended with (or null). */
    @Override
    public void endBody(HttpHeaders trailers) {
        if (link == Link.OPEN && sender.end(trailers)) {
            armReadClock(); // from now on the backend owes the rest of the response
        }
    }

    /** Flushes what was written during a client read batch. */
    void flush() {
        if (link == Link.OPEN) {
            sender.flush();
        }
    }

    /** Stops reading from the backend for {@code reason} (a {@link BackendSilence} bit); its silence clock stops too. */
    void pauseReading(int reason) {
        if (silence.pause(reason) && link == Link.OPEN) {
            connection.channel().config().setAutoRead(false);
        }
    }

    /** Reading may go on as far as {@code reason} is concerned. */
    void resumeReading(int reason) {
        if (silence.resume(reason) && link == Link.OPEN) {
            connection.channel().config().setAutoRead(true);
            if (sender.state() == RequestSender.Send.DONE) {
                armReadClock();
            }
        }
    }

    private void armReadClock() {
        if (!silence.paused() && reader.state() != ResponseReader.Receive.COMPLETE && link == Link.OPEN) {
            owner.due(silence.awaitRead(System.nanoTime()));
        }
    }

    @Override
    public void onUpstreamRead(HttpObject msg) {
        if (link != Link.OPEN) {
            if (link == Link.ENDED) {
                reusableAtEnd = false; // the backend talks past its response: not to be trusted with another
            }
            ReferenceCountUtil.release(msg);
            return;
        }
        switch (reader.accept(msg)) {
            case HEAD -> {
                record.answered(((HttpResponse) msg).status().code());
                owner.responseHead(this, (HttpResponse) msg);
            }
            case INTERIM -> owner.interim(this, (HttpResponse) msg);
            case CONTENT -> owner.responseContent(this, (HttpContent) msg);
            case END -> {
                record.ended(null);
                link = Link.ENDED;
                reusableAtEnd = !switched && sender.state() == RequestSender.Send.DONE && reader.keepAlive();
                silence.stop();
                owner.responseContent(this, (HttpContent) msg);
            }
            case IGNORED -> ReferenceCountUtil.release(msg);
            case SWITCHED -> {
                if (!((HttpResponse) msg).headers().contains(io.netty.handler.codec.http.HttpHeaderNames.UPGRADE)) {
                    fail(UpstreamErrors.invalid(peer, new IllegalStateException("101 without Upgrade")));
                    return;
                }
                switched = true;
                record.answered(101);
                // The new protocol's bytes wait until the tunnel takes the connection; a half-close
                // meanwhile (epoll reads to the end whatever autoRead says) must not close it.
                Channel ch = connection.channel();
                ch.config().setAutoRead(false);
                dev.turnpike.runtime.tunnel.Tunnel.halfClosable(ch);
                owner.responseHead(this, (HttpResponse) msg);
            }
            case INVALID -> {
                Throwable cause = msg.decoderResult().cause();
                ReferenceCountUtil.release(msg);
                fail(UpstreamErrors.invalid(peer, cause));
            }
        }
    }

    @Override
    public void onUpstreamReadComplete() {
        silence.readSome(System.nanoTime());
        owner.readBatchDone();
        if (link == Link.ENDED && !switched) {
            // Handed back only now: a pipelined request started while the last part was handled
            // must not get a connection whose decoder is still at work on this response's bytes.
            letGo(reusableAtEnd);
        }
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        if (link != Link.OPEN) {
            return;
        }
        if (writable) {
            silence.writable();
        } else if (sender.state() != RequestSender.Send.DONE) {
            owner.due(silence.awaitWrite(System.nanoTime()));
        }
        owner.writabilityChanged(this, writable);
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        if (link == Link.ENDED) {
            if (!switched) {
                link = Link.RELEASED; // closed after a complete response: nothing lost
                connection = null;
            }
            // After a 101 the connection still goes to the tunnel, which ends at once on a closed side.
            return;
        }
        if (link != Link.OPEN) {
            return;
        }
        link = Link.RELEASED; // the channel is gone; the pool forgot it already
        connection = null;
        silence.stop();
        boolean refused = UpstreamErrors.refusedAfterHandshake(cause, connectionProtocol,
                !reused && reader.state() == ResponseReader.Receive.AWAITING);
        if (refused) {
            record.handshakeRefused(cause);
        }
        fail(refused ? UpstreamErrors.connectFailed(peer, cause) : UpstreamErrors.closed(peer, cause, answered()));
    }

    /**
     * The request's timer asks: fails the attempt when the backend has been silent for its read
     * timeout, or has taken no bytes for the write timeout. Returns when to look again (0: never).
     */
    long check(long now) {
        if (link != Link.OPEN) {
            return 0;
        }
        ProxyError timeout = silence.expired(now);
        if (timeout != null) {
            record.timedOut();
            fail(timeout);
            return 0;
        }
        return silence.deadline();
    }

    private void fail(ProxyError error) {
        record.ended(error.kind());
        letGo(false);
        owner.failed(this, error);
    }

    /**
     * The attempt is no longer wanted (the request was answered otherwise, the client left, or a
     * retry replaces it): its connection is closed, or, when still connecting, released unused
     * once the connect completes. After a complete response nothing changes: the connection goes
     * back at the end of the read batch.
     */
    void abandon() {
        if (link == Link.CONNECTING) {
            link = Link.ABANDONED;
        } else if (link == Link.OPEN || (link == Link.ENDED && switched)) {
            letGo(false);
        }
    }

    /** After a 101 and its end: the connection leaves the attempt (and its pool) for a tunnel. */
    PooledConnection handOver() {
        if (!switched || link != Link.ENDED) {
            return null;
        }
        silence.stop();
        link = Link.RELEASED;
        PooledConnection c = connection;
        connection = null;
        c.handOver();
        return c;
    }

    /** Gives the connection back (a clean exchange on a keep-alive connection) or closes it. */
    private void letGo(boolean reusable) {
        silence.stop();
        if (link != Link.OPEN && link != Link.ENDED) {
            return;
        }
        link = Link.RELEASED;
        PooledConnection c = connection;
        connection = null;
        sender.flush();
        if (reusable) {
            c.release();
        } else {
            c.discard();
        }
    }

    @Override
    public String toString() {
        return "attempt " + number + " to " + peer.address() + " (" + link + ", send " + sender.state() + ", receive " + reader.state() + ")";
    }
}
