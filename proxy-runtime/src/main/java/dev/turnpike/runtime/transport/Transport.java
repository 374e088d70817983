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
 * The I/O transport: native epoll where the platform has it (fewer copies and syscalls), NIO
 * otherwise. Server and upstream channels must come from the same transport because upstream
 * connections are opened on the client connection's own event loop.
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

    /** Epoll when its native library loads here, NIO otherwise; {@code -Dturnpike.transport=nio} forces NIO. */
    public static Transport best() {
        if ("nio".equalsIgnoreCase(System.getProperty("turnpike.transport"))) {
            return NIO;
        }
        return Epoll.isAvailable() ? EPOLL : NIO;
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
