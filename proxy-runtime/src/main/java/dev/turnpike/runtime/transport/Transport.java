package dev.turnpike.runtime.transport;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The I/O transport: NIO, unless {@code -Dturnpike.transport=epoll} asks for native epoll (and it
 * loads here). Server and upstream channels must come from the same transport because upstream
 * connections are opened on the client connection's own event loop.
 *
 * <p>Why not epoll by default: Netty 4.2.18's epoll transport loses data written to a half-closed
 * connection. When a channel whose input has ended has no interest left, its registration removes
 * the socket from the epoll set ({@code epoll_ctl DEL}) but still counts it as added, so the next
 * time a write has to wait for the socket ({@code EPOLLOUT}) the {@code epoll_ctl MOD} fails with
 * ENOENT and Netty shuts the output down, dropping what was queued. A tunnel (tcp listener, CONNECT,
 * WebSocket) whose client sends its end first and then reads a large answer hit it about once in 30
 * transfers of 32 MiB ({@code TcpListenerTest}); on NIO, 0 in 120. NIO cost the same CPU per
 * request here (pinned, two pairs: 26.7 and 24.7 µs epoll, 26.7 and 25.6 µs NIO).
 */
public enum Transport {
    EPOLL(EpollServerSocketChannel.class, EpollSocketChannel.class),
    NIO(NioServerSocketChannel.class, NioSocketChannel.class);

    private final Class<? extends ServerChannel> serverChannel;
    private final Class<? extends Channel> socketChannel;

    Transport(Class<? extends ServerChannel> serverChannel, Class<? extends Channel> socketChannel) {
        this.serverChannel = serverChannel;
        this.socketChannel = socketChannel;
    }

    /** NIO; epoll only when {@code -Dturnpike.transport=epoll} asks for it and its native library loads. */
    public static Transport best() {
        if ("epoll".equalsIgnoreCase(System.getProperty("turnpike.transport")) && Epoll.isAvailable()) {
            return EPOLL;
        }
        return NIO;
    }

    /** A group of {@code threads} event loops whose threads are named {@code name-N}. */
    public EventLoopGroup newGroup(int threads, String name) {
        IoHandlerFactory io = this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, false), io);
    }

    public Class<? extends ServerChannel> serverChannel() {
        return serverChannel;
    }

    public Class<? extends Channel> socketChannel() {
        return socketChannel;
    }
}
