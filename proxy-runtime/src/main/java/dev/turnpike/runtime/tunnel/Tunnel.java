package dev.turnpike.runtime.tunnel;

import dev.turnpike.runtime.metrics.TunnelMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two connections that left HTTP, relaying bytes both ways until both are closed: the shared
 * mechanism of upgraded connections (WebSocket). Each end reads only while the other can take what
 * it reads; a half-close on one end (its input ended) closes the other's output once what was
 * relayed has gone out, so a client that says "no more" still gets the rest of the answer. Over TLS
 * there is no half-close in Netty's handler: the end of either side closes both, after a flush.
 *
 * <p>The tunnel is idle when neither end has read or written for its idle timeout; then both are
 * closed. Both channels are on one event loop (the backend's connection is opened on the client's),
 * so nothing here is shared across threads.
 */
public final class Tunnel {

    private static final Logger log = LoggerFactory.getLogger(Tunnel.class);

    /** Told once, when both ends are closed. */
    public interface Listener {
        /**
         * @param upstreamBytes   bytes relayed from the client to the backend
         * @param downstreamBytes bytes relayed from the backend to the client
         * @param why             how it ended: closed, idle, or the error
         */
        void ended(long upstreamBytes, long downstreamBytes, String why);
    }

    private final String kind;
    private final TunnelMetrics metrics;
    private final Listener listener;
    private final TunnelSide client;
    private final TunnelSide upstream;
    private String why = "closed";
    private int open = 2;

    private Tunnel(String kind, TunnelMetrics metrics, Listener listener) {
        this.kind = kind;
        this.metrics = metrics;
        this.listener = listener;
        this.client = new TunnelSide(this, true);
        this.upstream = new TunnelSide(this, false);
        client.pair(upstream);
        upstream.pair(client);
    }

    /**
     * Turns two HTTP connections into a tunnel. Each side's HTTP handlers are taken out, its decoder
     * last: what it held (bytes of the new protocol that came with or after the switching head)
     * goes on to the other side first. Must run on the channels' event loop.
     *
     * @param clientHttp      the client pipeline's HTTP handlers but its decoder
     * @param clientDecoder   the client's request decoder, or {@code null} for a connection that never
     *                        spoke HTTP (a tcp listener's)
     * @param upstreamDecoder the backend connection's response decoder (its other HTTP handlers gone),
     *                        or {@code null} for a raw connection (a CONNECT's)
     */
    public static Tunnel open(Channel clientChannel, List<ChannelHandler> clientHttp, ChannelHandler clientDecoder,
                              Channel upstreamChannel, ChannelHandler upstreamDecoder, String kind, Duration idleTimeout,
                              TunnelMetrics metrics, Listener listener) {
        Tunnel t = new Tunnel(kind, metrics, listener);
        metrics.opened(kind);
        clientChannel.closeFuture().addListener(f -> t.oneClosed());
        upstreamChannel.closeFuture().addListener(f -> t.oneClosed());
        // One idleness for the tunnel: the client's channel sees every byte of both directions.
        clientChannel.pipeline().addLast("tunnel-idle",
                new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS));
        clientChannel.pipeline().addLast("tunnel", t.client);
        upstreamChannel.pipeline().addLast("tunnel", t.upstream);
        for (ChannelHandler h : clientHttp) {
            clientChannel.pipeline().remove(h);
        }
        halfClosable(clientChannel);
        halfClosable(upstreamChannel);
        if (clientDecoder != null) {
            clientChannel.pipeline().remove(clientDecoder);
        }
        if (upstreamDecoder != null) {
            upstreamChannel.pipeline().remove(upstreamDecoder);
        }
        readOn(clientChannel);
        readOn(upstreamChannel);
        if (!clientChannel.isActive() || !upstreamChannel.isActive()) {
            t.closeBoth();
        } else {
            // An end of input that came before the tunnel (after the held bytes, now relayed).
            t.client.endedBefore();
            t.upstream.endedBefore();
        }
        return t;
    }

    /**
     * Starts reading, unless the input already ended (a client that sent and half-closed before the
     * tunnel): there is nothing more to read, and Netty 4.2.18's epoll transport has taken such a
     * socket out of its epoll set, so asking it to read fails (ENOENT) and would break the tunnel.
     */
    private static void readOn(Channel ch) {
        if (!(ch instanceof DuplexChannel d && d.isInputShutdown())) {
            ch.config().setAutoRead(true);
        }
    }

    /** Without TLS, an end of input is told as an event rather than closing the channel. */
    public static void halfClosable(Channel ch) {
        if (ch instanceof DuplexChannel && ch.pipeline().get(SslHandler.class) == null) {
            ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        }
    }

    /** Bytes relayed in one read batch of an end. */
    void relayed(boolean fromClient, long n) {
        metrics.relayed(kind, fromClient, n);
    }

    /** {@code from} will send no more: {@code to} is told so once what {@code from} sent has gone out. */
    void inputEnded(TunnelSide from, TunnelSide to) {
        if (!(to.channel() instanceof DuplexChannel d) || to.channel().pipeline().get(SslHandler.class) != null) {
            to.flushThen(this::closeBoth);
            return;
        }
        to.flushThen(() -> {
            if (from.inputEnded() && to.inputEnded()) {
                closeBoth();
            } else {
                d.shutdownOutput();
            }
        });
    }

    /** One end closed: the other follows once what was relayed to it has gone out. */
    void closed(TunnelSide gone, TunnelSide other) {
        if (other.channel().isActive()) {
            other.flushThen(() -> other.channel().close());
        }
    }

    void idle() {
        why = "idle";
        closeBoth();
    }

    void broken(TunnelSide at, Throwable unexpected) {
        if (unexpected != null) {
            log.warn("tunnel ({}) failed on the {} side", kind, at == client ? "client" : "backend", unexpected);
            why = unexpected.toString();
        }
        closeBoth();
    }

    private void closeBoth() {
        client.channel().close();
        upstream.channel().close();
    }

    private void oneClosed() {
        if (--open == 0) {
            metrics.closed(kind);
            listener.ended(client.bytes(), upstream.bytes(), why);
        }
    }
}
