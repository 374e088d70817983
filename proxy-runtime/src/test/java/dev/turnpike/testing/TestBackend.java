package dev.turnpike.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
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
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP/1.1 backend for tests: a small Netty server on 127.0.0.1 whose behaviour is chosen
 * by the request path. Every response carries {@code X-Backend-Name: <name>}.
 *
 * <table>
 *   <caption>Paths (the query string is ignored except where noted; any method)</caption>
 *   <tr><td>{@code /name}, and any path not below</td><td>200, body = the name (no newline)</td></tr>
 *   <tr><td>{@code /echo}</td><td>200, text body listing the request: the request line, then one
 *       {@code Name: value} line per header as received (order and case kept), LF-separated</td></tr>
 *   <tr><td>{@code /delay/<ms>}</td><td>the name after {@code ms} milliseconds, scheduled on the
 *       event loop</td></tr>
 *   <tr><td>{@code /silent}</td><td>reads the request, never answers (the connection stays open)</td></tr>
 *   <tr><td>{@code /close}</td><td>reads the request, closes the connection without answering</td></tr>
 *   <tr><td>{@code /status/<code>}</td><td>that status (200..599), body = the name; no body for 204 and 304</td></tr>
 *   <tr><td>{@code /bytes/<n>}</td><td>200 with {@code Content-Length: n} and the first {@code n}
 *       bytes of {@link DeterministicBytes} ({@code ?seed=<long>}, default
 *       {@link DeterministicBytes#DEFAULT_SEED}), streamed in 64 KiB chunks as the connection
 *       drains, so any size works</td></tr>
 *   <tr><td>{@code /text/<n>}</td><td>200 {@code text/plain} with {@code Content-Length: n}: the
 *       first {@code n} bytes of {@link TextLines} (one English line, repeated), streamed like
 *       {@code /bytes}</td></tr>
 *   <tr><td>{@code /upload}</td><td>reads a request body of any size (Content-Length or chunked)
 *       piece by piece and answers {@code {"bytes":N,"sha256":"<hex>"}} ({@code application/json})</td></tr>
 * </table>
 *
 * <p>Request bodies on other paths are read and discarded. Keep-alive follows the request
 * ({@code Connection: close} and HTTP/1.0 without keep-alive end the connection after the
 * response); pipelined requests are answered in order; {@code Expect: 100-continue} gets its 100.
 * HEAD gets the GET response's headers without a body. Accessors are thread-safe.
 */
public final class TestBackend implements AutoCloseable {

    private final String name;
    private final AtomicInteger connectionsAccepted = new AtomicInteger();
    private final AtomicInteger requestsServed = new AtomicInteger();
    private final List<String> requestLines = Collections.synchronizedList(new ArrayList<>());
    private volatile Map<String, List<String>> lastRequestHeaders = Map.of();

    private EventLoopGroup group;
    private volatile ChannelGroup channels;
    private Channel serverChannel;
    private volatile int port = -1;

    /** @param name answered by {@code /name} and sent as {@code X-Backend-Name} */
    public TestBackend(String name) {
        this.name = name;
    }

    /** Starts on an ephemeral port of 127.0.0.1. @return the port */
    public int start() {
        return start(0);
    }

    /**
     * Starts on {@code port} of 127.0.0.1 (0 for an ephemeral one), e.g. to bring a backend back on
     * the port a stopped one had. Blocks until bound.
     *
     * @return the port
     */
    public synchronized int start(int port) {
        if (group != null) {
            throw new IllegalStateException(name + " already started");
        }
        group = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("backend-" + name, true), NioIoHandler.newFactory());
        channels = new DefaultChannelGroup(name, GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                // Room for a few /bytes chunks in flight; beyond that the stream waits for the reader.
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(128 * 1024, 256 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connectionsAccepted.incrementAndGet();
                        channels.add(ch);
                        // Generous limits: the proxy's own limits are under test, not this backend's.
                        ch.pipeline().addLast(
                                new HttpServerCodec(new HttpDecoderConfig()
                                        .setMaxInitialLineLength(64 * 1024)
                                        .setMaxHeaderSize(64 * 1024)),
                                new TestBackendHandler(TestBackend.this));
                    }
                });
        try {
            serverChannel = bootstrap.bind(new InetSocketAddress("127.0.0.1", port)).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        return this.port;
    }

    /** @throws IllegalStateException before {@link #start()} */
    public int port() {
        int p = port;
        if (p < 0) {
            throw new IllegalStateException(name + " not started");
        }
        return p;
    }

    public String name() {
        return name;
    }

    /** {@code http://127.0.0.1:<port><path>}. */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** TCP connections accepted since start. */
    public int connectionsAccepted() {
        return connectionsAccepted.get();
    }

    /** TCP connections open now. */
    public int openConnections() {
        ChannelGroup g = channels;
        return g == null ? 0 : g.size();
    }

    /** Requests whose head was received since start, answered or not ({@code /silent}, {@code /close} count). */
    public int requestsServed() {
        return requestsServed.get();
    }

    /** The request line of the last request received, e.g. {@code GET /name HTTP/1.1}, or null before any. */
    public String lastRequestLine() {
        synchronized (requestLines) {
            return requestLines.isEmpty() ? null : requestLines.get(requestLines.size() - 1);
        }
    }

    /** Every request line received, oldest first (a copy). */
    public List<String> requestLines() {
        synchronized (requestLines) {
            return List.copyOf(requestLines);
        }
    }

    /**
     * The headers of the last request received: names looked up case-insensitively (kept as first
     * received), values in order of arrival. Immutable; empty before any request.
     */
    public Map<String, List<String>> lastRequestHeaders() {
        return lastRequestHeaders;
    }

    /** Stops listening, closes every connection and the event loops. Idempotent. */
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
        serverChannel = null;
    }

    @Override
    public String toString() {
        return "TestBackend[" + name + (port < 0 ? "" : " @127.0.0.1:" + port) + "]";
    }

    /** Called on the event loop with each request head. */
    void onRequest(HttpRequest request) {
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        request.headers().forEach(h -> headers.computeIfAbsent(h.getKey(), k -> new ArrayList<>()).add(h.getValue()));
        headers.replaceAll((k, v) -> List.copyOf(v));
        lastRequestHeaders = Collections.unmodifiableMap(headers);
        requestLines.add(request.method() + " " + request.uri() + " " + request.protocolVersion());
        requestsServed.incrementAndGet();
    }
}
