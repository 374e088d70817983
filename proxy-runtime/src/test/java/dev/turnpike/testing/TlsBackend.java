package dev.turnpike.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * A real HTTPS/1.1 backend for TLS tests: Netty with the JDK's TLS on 127.0.0.1, ephemeral port,
 * presenting a {@link TestPki.Issued} certificate, optionally requiring a client certificate.
 *
 * <p>Every request is answered 200 with body {@code tls-backend} and headers
 * {@code X-Backend-Sni} (the SNI host name the client sent, or {@code -}), {@code X-Backend-Client}
 * (the client certificate's subject, RFC 2253, or {@code -}) and {@code X-Backend-Protocol} (e.g.
 * {@code TLSv1.3}). Request bodies are read and discarded.
 *
 * <p>With {@link Builder#echoSha256()} the response instead carries {@code X-Request-Sha256} (hex
 * SHA-256 of the request body, computed as it streams in) and, when the request has
 * {@code X-Response-Bytes: N}, a body of {@code N} bytes of {@link #patternByte(long)} with
 * {@code Content-Length: N}, written in 64 KiB chunks as the connection drains. Neither direction
 * is ever held in memory, so bodies of any size work.
 */
public final class TlsBackend implements AutoCloseable {

    /** The body of a plain response. */
    public static final String BODY = "tls-backend";

    private static final int CHUNK = 64 * 1024;
    /** One chunk of the response pattern; its period (256) divides CHUNK, so every chunk starts alike. */
    private static final byte[] PATTERN = new byte[CHUNK];

    static {
        for (int i = 0; i < CHUNK; i++) {
            PATTERN[i] = patternByte(i);
        }
    }

    private final SslContext sslContext;
    private final boolean echo;
    private final AtomicInteger requests = new AtomicInteger();
    private final List<String> handshakeFailures = Collections.synchronizedList(new ArrayList<>());
    private EventLoopGroup group;
    private ChannelGroup channels;
    private Channel serverChannel;
    private int port;

    /** A backend presenting {@code certificate} (with its {@link TestPki.Issued#chain() chain}). */
    public static Builder builder(TestPki.Issued certificate) {
        return new Builder(certificate);
    }

    public static final class Builder {
        private final TestPki.Issued certificate;
        private TestPki.Authority clientCa;
        private ClientAuth clientAuth = ClientAuth.NONE;
        private boolean echo;
        private String[] protocols;

        private Builder(TestPki.Issued certificate) {
            this.certificate = certificate;
        }

        /** Fails the handshake of a client without a certificate issued by {@code clientCa}. */
        public Builder requireClientCertificate(TestPki.Authority clientCa) {
            this.clientCa = clientCa;
            this.clientAuth = ClientAuth.REQUIRE;
            return this;
        }

        /** Asks for a client certificate issued by {@code clientCa}, accepting clients without one. */
        public Builder optionalClientCertificate(TestPki.Authority clientCa) {
            this.clientCa = clientCa;
            this.clientAuth = ClientAuth.OPTIONAL;
            return this;
        }

        /** Only these TLS protocol versions, e.g. {@code "TLSv1.2"}; default: the JDK's. */
        public Builder protocols(String... protocols) {
            this.protocols = protocols.clone();
            return this;
        }

        /** Digest the request body and stream back {@code X-Response-Bytes} bytes (see the class comment). */
        public Builder echoSha256() {
            this.echo = true;
            return this;
        }

        /** Binds 127.0.0.1 on an ephemeral port; blocks until bound. */
        public TlsBackend start() {
            try {
                SslContextBuilder ssl = SslContextBuilder
                        .forServer(certificate.key(), certificate.chain().toArray(X509Certificate[]::new))
                        .sslProvider(SslProvider.JDK)
                        .clientAuth(clientAuth);
                if (clientCa != null) {
                    ssl.trustManager(clientCa.certificate());
                }
                if (protocols != null) {
                    ssl.protocols(protocols);
                }
                TlsBackend backend = new TlsBackend(ssl.build(), echo);
                backend.bind();
                return backend;
            } catch (SSLException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private TlsBackend(SslContext sslContext, boolean echo) {
        this.sslContext = sslContext;
        this.echo = echo;
    }

    private void bind() {
        group = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("tls-backend", true), NioIoHandler.newFactory());
        channels = new DefaultChannelGroup("tls-backend", GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(128 * 1024, 256 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        ch.pipeline().addLast(sslContext.newHandler(ch.alloc()), new HttpServerCodec(), new Handler());
                    }
                });
        try {
            serverChannel = bootstrap.bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public int port() {
        return port;
    }

    /** {@code https://localhost:<port><path>}: the name a {@code TestPki.server("localhost", ...)} certificate matches. */
    public URI uri(String path) {
        return URI.create("https://localhost:" + port + path);
    }

    /** Requests received (heads) since start. */
    public int requests() {
        return requests.get();
    }

    /** The messages of failed handshakes, oldest first (a copy). */
    public List<String> handshakeFailures() {
        synchronized (handshakeFailures) {
            return List.copyOf(handshakeFailures);
        }
    }

    /** Byte {@code i} of an {@link Builder#echoSha256()} response body: {@code (i * 31 + 7) & 0xff}. */
    public static byte patternByte(long i) {
        return (byte) ((i * 31 + 7) & 0xff);
    }

    /** Hex SHA-256 of the first {@code n} bytes of the response pattern, without holding them. */
    public static String patternSha256(long n) {
        MessageDigest digest = DeterministicBytes.sha256();
        for (long pos = 0; pos < n; pos += CHUNK) {
            digest.update(PATTERN, 0, (int) Math.min(CHUNK, n - pos));
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Stops listening and closes every connection and the event loops. Idempotent. */
    @Override
    public synchronized void close() {
        if (group == null) {
            return;
        }
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        channels.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        group = null;
    }

    @Override
    public String toString() {
        return "TlsBackend[127.0.0.1:" + port + (echo ? ", echoSha256" : "") + "]";
    }

    /** One connection; runs on its event loop. Requests are answered one at a time, in order. */
    private final class Handler extends ChannelInboundHandlerAdapter {
        private final ArrayDeque<Object> queued = new ArrayDeque<>();
        private String sni = "-";
        private String client = "-";
        private String protocol = "-";
        private boolean busy;
        private HttpRequest request;
        private boolean keepAlive;
        private MessageDigest digest;
        private long remaining;
        private boolean streaming;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent done) {
                if (done.isSuccess()) {
                    describe(ctx.pipeline().get(SslHandler.class).engine().getSession());
                } else {
                    handshakeFailures.add(String.valueOf(done.cause().getMessage()));
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        private void describe(SSLSession session) {
            protocol = session.getProtocol();
            if (session instanceof ExtendedSSLSession extended) {
                for (SNIServerName name : extended.getRequestedServerNames()) {
                    if (name instanceof SNIHostName host) {
                        sni = host.getAsciiName();
                    }
                }
            }
            try {
                Certificate[] peer = session.getPeerCertificates();
                client = ((X509Certificate) peer[0]).getSubjectX500Principal().getName(X500Principal.RFC2253);
            } catch (SSLPeerUnverifiedException e) {
                client = "-";
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (busy) {
                queued.add(msg);
                ctx.channel().config().setAutoRead(false);
                return;
            }
            try {
                if (msg instanceof HttpRequest head) {
                    requests.incrementAndGet();
                    request = head;
                    keepAlive = HttpUtil.isKeepAlive(head) && head.decoderResult().isSuccess();
                    digest = echo ? DeterministicBytes.sha256() : null;
                    if (HttpUtil.is100ContinueExpected(head)) {
                        ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
                    }
                }
                if (msg instanceof HttpContent content && request != null) {
                    if (digest != null) {
                        for (ByteBuffer piece : content.content().nioBuffers()) {
                            digest.update(piece);
                        }
                    }
                    if (msg instanceof LastHttpContent) {
                        busy = true;
                        respond(ctx);
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void respond(ChannelHandlerContext ctx) {
            if (!echo) {
                ByteBuf body = ctx.alloc().buffer().writeBytes(BODY.getBytes(StandardCharsets.US_ASCII));
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain").set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
                addHeaders(response);
                ctx.writeAndFlush(response).addListener(f -> finished(ctx, f.isSuccess()));
                return;
            }
            String asked = request.headers().get("X-Response-Bytes");
            remaining = asked == null ? 0 : Long.parseLong(asked.trim());
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM)
                    .set(HttpHeaderNames.CONTENT_LENGTH, remaining)
                    .set("X-Request-Sha256", HexFormat.of().formatHex(digest.digest()));
            addHeaders(response);
            ctx.write(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            streaming = true;
            pump(ctx);
        }

        private void addHeaders(HttpResponse response) {
            response.headers().set("X-Backend-Sni", sni).set("X-Backend-Client", client).set("X-Backend-Protocol", protocol);
            if (!keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
        }

        /** Writes chunks while the channel is writable; channelWritabilityChanged resumes. */
        private void pump(ChannelHandlerContext ctx) {
            while (streaming && remaining > 0 && ctx.channel().isWritable()) {
                int len = (int) Math.min(CHUNK, remaining);
                remaining -= len;
                // Flushed one by one so each chunk counts against the write buffer (and writability) at once.
                ctx.writeAndFlush(new DefaultHttpContent(ctx.alloc().buffer(len).writeBytes(PATTERN, 0, len)))
                        .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            }
            if (streaming && remaining == 0) {
                streaming = false;
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> finished(ctx, f.isSuccess()));
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (streaming && ctx.channel().isWritable()) {
                pump(ctx);
            }
            ctx.fireChannelWritabilityChanged();
        }

        private void finished(ChannelHandlerContext ctx, boolean written) {
            if (!written || !keepAlive) {
                ctx.close();
                return;
            }
            busy = false;
            request = null;
            Object next;
            while (!busy && (next = queued.poll()) != null) {
                channelRead(ctx, next);
            }
            if (!busy) {
                ctx.channel().config().setAutoRead(true);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            streaming = false;
            Object msg;
            while ((msg = queued.poll()) != null) {
                ReferenceCountUtil.release(msg);
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Handshake failures are recorded from the completion event; resets are expected in tests.
            ctx.close();
        }
    }
}
