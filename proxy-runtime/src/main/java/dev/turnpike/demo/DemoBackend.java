package dev.turnpike.demo;

import dev.turnpike.api.HostPort;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tiny HTTP/1.1 backend for trying the proxy by hand: {@code make run} starts two of these
 * behind it. Every request gets 200 and a two-line text body naming this backend and echoing
 * the method and path, so which backend answered is visible in {@code curl}'s output:
 * <pre>
 * hello from backend-1
 * GET /some/path
 * </pre>
 * Usage: {@code java -cp turnpike.jar dev.turnpike.demo.DemoBackend --listen 127.0.0.1:9001 --name backend-1}.
 * Not part of the proxy; it never runs in production paths.
 */
public final class DemoBackend {

    private static final Logger log = LoggerFactory.getLogger(DemoBackend.class);

    /**
     * Request heads as large as the proxy may forward: its server.max_header_size goes up to 2m and
     * max_uri_length up to 1m. With Netty's defaults (8k of headers, a 4k request line) a larger
     * head was never answered, and the proxy waited for it until upstream.read_timeout.
     */
    static final HttpDecoderConfig DECODER = new HttpDecoderConfig()
            .setMaxHeaderSize(2 << 20)
            .setMaxInitialLineLength(1 << 20);

    private DemoBackend() {
    }

    public static void main(String[] args) throws InterruptedException {
        HostPort listen = new HostPort("127.0.0.1", 9001);
        String name = "backend";
        try {
            for (int i = 0; i < args.length; i += 2) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--listen" -> listen = HostPort.parse(value);
                    case "--name" -> name = value;
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("--name needs a value");
            }
        } catch (IllegalArgumentException e) {
            log.error("{}; usage: DemoBackend --listen HOST:PORT --name NAME", e.getMessage());
            System.exit(2);
            return;
        }

        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        String backendName = name;
        Channel server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(DECODER), new HttpServerExpectContinueHandler(),
                                new HelloHandler(backendName));
                    }
                })
                .bind(new InetSocketAddress(listen.host(), listen.port()))
                .sync()
                .channel();
        log.info("demo backend {} listening on {}", name, listen);

        // Ctrl-C / kill: close the listener and let in-flight responses finish.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }, "demo-backend-shutdown"));
        server.closeFuture().sync();
    }

    /** Answers each request once its body (ignored) has been read, so keep-alive stays in step. */
    private static final class HelloHandler extends SimpleChannelInboundHandler<HttpObject> {
        private final String name;
        private HttpRequest request;

        HelloHandler(String name) {
            this.name = name;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            // SimpleChannelInboundHandler releases msg after this returns.
            if (msg instanceof HttpRequest head) {
                request = head;
            }
            if (msg instanceof LastHttpContent && request != null) {
                answer(ctx, request);
                request = null;
            }
        }

        private void answer(ChannelHandlerContext ctx, HttpRequest req) {
            if (req.decoderResult().isFailure()) {
                FullHttpResponse bad = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST);
                bad.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0).set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(bad).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ByteBuf body = ByteBufUtil.writeUtf8(ctx.alloc(),
                    "hello from " + name + "\n" + req.method() + " " + req.uri() + "\n");
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                    .set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(response.headers(), req.protocolVersion(), keepAlive);
            if (keepAlive) {
                ctx.writeAndFlush(response);
            } else {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("connection error: {}", cause.toString());
            ctx.close();
        }
    }
}
