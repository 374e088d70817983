package dev.turnpike.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real WebSocket server on 127.0.0.1 (Netty's own handshake and framing): it echoes text and
 * binary messages, answers pings with pongs and echoes a close with its code, as RFC 6455 says. It
 * records the request headers of each handshake, so a test sees what the proxy sent.
 */
public final class WebSocketEchoBackend implements AutoCloseable {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<String> handshakeHeaders = new CopyOnWriteArrayList<>();
    private final Channel server;

    public WebSocketEchoBackend() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                                new HandshakeRecorder(handshakeHeaders),
                                new WebSocketServerProtocolHandler("/ws", null, true, 16 << 20),
                                new Echo());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** "name: value" of every header of every handshake request, lower-case names. */
    public List<String> handshakeHeaders() {
        return Collections.unmodifiableList(handshakeHeaders);
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class HandshakeRecorder extends SimpleChannelInboundHandler<io.netty.handler.codec.http.FullHttpRequest> {
        private final List<String> into;

        HandshakeRecorder(List<String> into) {
            super(false);
            this.into = into;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, io.netty.handler.codec.http.FullHttpRequest r) {
            r.headers().forEach(e -> into.add(e.getKey().toLowerCase(java.util.Locale.ROOT) + ": " + e.getValue()));
            ctx.fireChannelRead(r);
        }
    }

    private static final class Echo extends SimpleChannelInboundHandler<WebSocketFrame> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            // Each data frame back as it came, fragments (continuations) included.
            if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame
                    || frame instanceof ContinuationWebSocketFrame) {
                ctx.writeAndFlush(frame.retain());
            }
        }
    }
}
