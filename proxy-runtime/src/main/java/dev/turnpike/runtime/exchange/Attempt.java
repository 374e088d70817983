package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.UpstreamConnection;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import dev.turnpike.runtime.upstream.PooledConnection;
import dev.turnpike.runtime.upstream.UpstreamListener;
import dev.turnpike.runtime.upstream.Connections;
import dev.turnpike.runtime.wire.HeadWriter;
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
 * <p>The silence clock runs only while the proxy is actually reading from the backend: not before
 * the request has been sent, and not while reading is paused because the client (or a plugin) is
 * not taking the response. A slow client is therefore never the backend's timeout.
 *
 * <p>Confined to the request's event loop, which is also the connection's.
 */
final class Attempt implements UpstreamListener, BodySink {

    /** Reading from the backend is paused for one of these (bits), and runs only when none holds. */
    static final int PAUSE_CLIENT = 1;
    static final int PAUSE_RESPONSE_FILTER = 2;
    static final int PAUSE_BODY_FILTER = 4;

    /** The request going to the backend. */
    enum Send { HEAD_PENDING, BODY, DONE }

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
    private final ProxyMetrics metrics;
    private final Peer peer;
    private final UpstreamHead head;
    private final int number;
    private final Clock readClock;
    private final Clock writeClock;
    private final ResponseReader reader;

    private Link link = Link.CONNECTING;
    private Send send = Send.HEAD_PENDING;
    private PooledConnection connection;
    private boolean reused;
    /** The backend answered 101: the connection leaves HTTP, for a tunnel, never for the pool. */
    private boolean switched;
    /** The TLS version of the connection, or null for cleartext. */
    private String connectionProtocol;
    /** At the end: whether the connection can carry another request. */
    private boolean reusableAtEnd;
    private int pausedBy;
    private boolean flushPending;
    private long connectStart;
    private Duration connectTime = Duration.ZERO;
    /** What the access log says of this attempt. */
    private final dev.turnpike.runtime.log.UpstreamTry log;

    Attempt(AttemptOwner owner, Connections pool, ProxyMetrics metrics, Peer peer, UpstreamHead head, int number,
            Duration readTimeout, Duration writeTimeout) {
        this.owner = owner;
        this.pool = pool;
        this.metrics = metrics;
        this.peer = peer;
        this.head = head;
        this.number = number;
        this.readClock = new Clock((peer.readTimeout() != null ? peer.readTimeout() : readTimeout).toNanos());
        this.writeClock = new Clock(writeTimeout.toNanos());
        this.reader = new ResponseReader(head.isHead());
        this.log = new dev.turnpike.runtime.log.UpstreamTry(peer.address(), System.nanoTime());
    }

    /** The access log's record of this attempt. */
    dev.turnpike.runtime.log.UpstreamTry log() {
        return log;
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

    Send send() {
        return send;
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
        connectStart = System.nanoTime();
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
            metrics.upstream().connectFailed(peer.address(), error.kind());
            log.ended(System.nanoTime(), error.kind());
            owner.failed(this, error);
            return;
        }
        long took = System.nanoTime() - connectStart;
        metrics.upstream().connected(peer.address(), took);
        open(f.getNow(), Duration.ofNanos(took));
    }

    private void open(PooledConnection c, Duration connectTime) {
        this.connectTime = connectTime;
        log.connected(System.nanoTime(), reused);
        var ssl = c.channel().pipeline().get(io.netty.handler.ssl.SslHandler.class);
        connectionProtocol = ssl == null ? null : ssl.engine().getSession().getProtocol();
        connection = c;
        link = Link.OPEN;
        c.attach(this);
        if (pausedBy != 0) {
            c.channel().config().setAutoRead(false);
        }
        metrics.upstream().requestSent(peer.address(), reused);
        Channel ch = c.channel();
        owner.connected(this);
        if (link != Link.OPEN) {
            return; // connected_to_upstream failed the request
        }
        c.decoder().expectResponseTo(head.isHead(), head.upgrading());
        write(head.encode(ch.alloc()));
        send = head.hasBody() ? Send.BODY : Send.DONE;
        if (send == Send.DONE) {
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
        if (link != Link.OPEN || send != Send.BODY || !data.isReadable()) {
            data.release();
            return;
        }
        write(head.chunked() ? HeadWriter.chunk(connection.channel().alloc(), data) : data);
    }

    /** The end of the request body, with the trailers a chunked body ended with (or null). */
    @Override
    public void endBody(HttpHeaders trailers) {
        if (link != Link.OPEN || send != Send.BODY) {
            return;
        }
        if (head.chunked()) {
            write(HeadWriter.lastChunk(connection.channel().alloc(), trailers));
        }
        send = Send.DONE;
        armReadClock(); // from now on the backend owes the rest of the response
    }

    private void write(Object msg) {
        connection.channel().write(msg, connection.channel().voidPromise());
        flushPending = true;
        if (!owner.inClientRead()) {
            flush();
        }
    }

    /** Flushes what was written during a client read batch. */
    void flush() {
        if (flushPending && link == Link.OPEN) {
            flushPending = false;
            connection.channel().flush();
        }
    }

    /** Stops reading from the backend for {@code reason} (a bit); its silence clock stops too. */
    void pauseReading(int reason) {
        int before = pausedBy;
        pausedBy |= reason;
        if (before == 0 && link == Link.OPEN) {
            connection.channel().config().setAutoRead(false);
            readClock.disarm(); // the wait is ours now, not the backend's
        }
    }

    /** Reading may go on as far as {@code reason} is concerned. */
    void resumeReading(int reason) {
        if ((pausedBy & reason) == 0) {
            return;
        }
        pausedBy &= ~reason;
        if (pausedBy == 0 && link == Link.OPEN) {
            connection.channel().config().setAutoRead(true);
            if (send == Send.DONE) {
                armReadClock();
            }
        }
    }

    private void armReadClock() {
        if (pausedBy == 0 && reader.state() != ResponseReader.Receive.COMPLETE && link == Link.OPEN) {
            owner.due(readClock.arm(System.nanoTime()));
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
                answeredWith(((HttpResponse) msg).status().code());
                owner.responseHead(this, (HttpResponse) msg);
            }
            case INTERIM -> owner.interim(this, (HttpResponse) msg);
            case CONTENT -> owner.responseContent(this, (HttpContent) msg);
            case END -> {
                log.ended(System.nanoTime(), null);
                link = Link.ENDED;
                reusableAtEnd = !switched && send == Send.DONE && reader.keepAlive();
                readClock.disarm();
                writeClock.disarm();
                owner.responseContent(this, (HttpContent) msg);
            }
            case IGNORED -> ReferenceCountUtil.release(msg);
            case SWITCHED -> {
                if (!((HttpResponse) msg).headers().contains(io.netty.handler.codec.http.HttpHeaderNames.UPGRADE)) {
                    fail(UpstreamErrors.invalid(peer, new IllegalStateException("101 without Upgrade")));
                    return;
                }
                switched = true;
                answeredWith(101);
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
        readClock.touch(System.nanoTime());
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
            writeClock.disarm();
        } else if (send != Send.DONE) {
            owner.due(writeClock.arm(System.nanoTime()));
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
        readClock.disarm();
        writeClock.disarm();
        ProxyError error = UpstreamErrors.closed(peer, cause, answered());
        if (UpstreamErrors.tls(cause) && !reused && reader.state() == ResponseReader.Receive.AWAITING
                && dev.turnpike.runtime.tls.TlsFailure.refusedAfterHandshake(connectionProtocol, cause)) {
            // TLS 1.3: a backend refuses our certificate (or its absence) after our side of the
            // handshake has ended, so the refusal comes as the first read: it is the handshake's
            // result, and nothing of the request was processed. Any other TLS error past the
            // handshake keeps its kind: the backend may have acted on the request.
            metrics.tls().handshakeFailed("upstream", dev.turnpike.runtime.tls.TlsFailure.of(cause).label());
            error = UpstreamErrors.connectFailed(peer, cause);
        }
        fail(error);
    }

    /**
     * The request's timer asks: fails the attempt when the backend has been silent for its read
     * timeout, or has taken no bytes for the write timeout. Returns when to look again (0: never).
     */
    long check(long now) {
        if (link != Link.OPEN) {
            return 0;
        }
        if (readClock.expired(now)) {
            metrics.upstream().timedOut(peer.address());
            fail(ProxyError.of(ErrorKind.UPSTREAM_TIMEOUT, "backend " + peer.address() + " sent nothing for "
                    + readClock.timeoutMillis() + " ms", null));
            return 0;
        }
        if (writeClock.expired(now)) {
            metrics.upstream().timedOut(peer.address());
            fail(ProxyError.of(ErrorKind.UPSTREAM_TIMEOUT, "backend " + peer.address() + " took no request bytes for "
                    + writeClock.timeoutMillis() + " ms", null));
            return 0;
        }
        return Clock.earliest(readClock.deadline(), writeClock.deadline());
    }

    /** The response head arrived: the access log's times and the backend's response metrics. */
    private void answeredWith(int status) {
        long now = System.nanoTime();
        log.answered(status, now);
        metrics.upstream().responded(peer.address(), status, log.headerNanos());
    }

    private void fail(ProxyError error) {
        log.ended(System.nanoTime(), error.kind());
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
        readClock.disarm();
        writeClock.disarm();
        link = Link.RELEASED;
        PooledConnection c = connection;
        connection = null;
        c.handOver();
        return c;
    }

    /** Gives the connection back (a clean exchange on a keep-alive connection) or closes it. */
    private void letGo(boolean reusable) {
        readClock.disarm();
        writeClock.disarm();
        if (link != Link.OPEN && link != Link.ENDED) {
            return;
        }
        link = Link.RELEASED;
        PooledConnection c = connection;
        connection = null;
        if (flushPending) {
            flushPending = false;
            c.channel().flush();
        }
        if (reusable) {
            c.release();
        } else {
            c.discard();
        }
    }

    @Override
    public String toString() {
        return "attempt " + number + " to " + peer.address() + " (" + link + ", send " + send + ", receive " + reader.state() + ")";
    }
}
