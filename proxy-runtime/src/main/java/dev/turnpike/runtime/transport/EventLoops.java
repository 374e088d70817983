package dev.turnpike.runtime.transport;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's event loops and the non-blocking DNS resolver they share. Made before the plugins
 * start, because plugins schedule their own work (health checks) on these loops, and closed after
 * the server and the plugins have stopped.
 */
public final class EventLoops implements AutoCloseable {

    private final Transport transport;
    private final EventLoopGroup group;
    private final DnsAddressResolverGroup resolver;
    private boolean closed;

    private EventLoops(Transport transport, EventLoopGroup group, DnsAddressResolverGroup resolver) {
        this.transport = transport;
        this.group = group;
        this.resolver = resolver;
    }

    /** {@code workers} loops (0: Netty's default, two per processor) on the best transport. */
    public static EventLoops start(int workers) {
        Transport transport = Transport.best();
        EventLoopGroup group = transport.newGroup(workers, "turnpike-loop");
        Class<? extends DatagramChannel> udp = transport == Transport.EPOLL ? EpollDatagramChannel.class : NioDatagramChannel.class;
        return new EventLoops(transport, group, new DnsAddressResolverGroup(new DnsNameResolverBuilder().datagramChannelType(udp)));
    }

    public Transport transport() {
        return transport;
    }

    public EventLoopGroup group() {
        return group;
    }

    public AddressResolverGroup<InetSocketAddress> resolver() {
        return resolver;
    }

    /** The next loop, in turn: spreads plugins' background work over the loops. */
    public EventLoop next() {
        return group.next();
    }

    /** Stops the loops (tasks still queued run first, for up to 2 s) and the resolver. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        resolver.close();
    }
}
