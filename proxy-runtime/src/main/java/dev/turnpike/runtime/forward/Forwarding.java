package dev.turnpike.runtime.forward;

import dev.turnpike.api.HostPort;
import dev.turnpike.runtime.config.ForwardProxySettings;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;

/**
 * The forward proxy's means, one per server: the {@link ForwardPolicy}, Netty's non-blocking
 * resolver, and raw connections for CONNECT tunnels. Nothing here blocks an event loop: a name is
 * resolved by the resolver group, every address it resolves to is checked, and the caller connects
 * to the checked address (the name is never resolved again, so a second answer cannot point the
 * connection somewhere the check did not see: no DNS rebinding).
 */
public final class Forwarding {

    private final ForwardPolicy policy;
    private final AddressResolverGroup<InetSocketAddress> resolvers;
    private final Class<? extends Channel> channelType;
    private final Duration connectTimeout;

    public Forwarding(ForwardProxySettings settings, AddressResolverGroup<InetSocketAddress> resolvers,
                      Class<? extends Channel> channelType, Duration connectTimeout) {
        this.policy = new ForwardPolicy(settings);
        this.resolvers = resolvers;
        this.channelType = channelType;
        this.connectTimeout = connectTimeout;
    }

    public ForwardPolicy policy() {
        return policy;
    }

    /**
     * The checked address to connect to for {@code target}, on {@code loop}. Fails with a
     * {@link ForwardRefusal} (port, host or a denied address: a 403) or with the resolver's error
     * (an {@link UnknownHostException}: 502).
     *
     * @param connect whether this is a CONNECT (connect_ports applies only to it)
     */
    public Future<InetSocketAddress> resolve(HostPort target, boolean connect, EventLoop loop) {
        Promise<InetSocketAddress> out = loop.newPromise();
        String refused = connect ? policy.refusePort(target.port()) : null;
        if (refused == null) {
            refused = policy.refuseHost(target.host());
        }
        if (refused != null) {
            return out.setFailure(new ForwardRefusal(refused));
        }
        byte[] ip = NetUtil.createByteArrayFromIpAddressString(target.host());
        if (ip != null) {
            try {
                return checked(target, List.of(new InetSocketAddress(InetAddress.getByAddress(ip), target.port())), out);
            } catch (UnknownHostException impossible) {
                return out.setFailure(impossible);
            }
        }
        Future<List<InetSocketAddress>> all = resolvers.getResolver(loop)
                .resolveAll(InetSocketAddress.createUnresolved(target.host(), target.port()));
        all.addListener(done -> {
            if (!done.isSuccess()) {
                out.tryFailure(done.cause());
            } else {
                checked(target, all.getNow(), out);
            }
        });
        return out;
    }

    private Promise<InetSocketAddress> checked(HostPort target, List<InetSocketAddress> addresses, Promise<InetSocketAddress> out) {
        if (addresses.isEmpty()) {
            out.tryFailure(new UnknownHostException(target.host() + ": no address"));
            return out;
        }
        for (InetSocketAddress a : addresses) {
            String refused = policy.refuseAddress(target.host(), a.getAddress());
            if (refused != null) {
                out.tryFailure(new ForwardRefusal(refused));
                return out;
            }
        }
        out.trySuccess(addresses.get(0));
        return out;
    }

    /**
     * A raw TCP connection to {@code address} on {@code loop}, for a CONNECT tunnel: no handler, not
     * reading (the tunnel starts reading once it is in place). Fails after the connect timeout.
     */
    public Future<Channel> connect(InetSocketAddress address, EventLoop loop) {
        Promise<Channel> out = loop.newPromise();
        new Bootstrap().group(loop).channel(channelType)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // Nothing: the tunnel adds its side.
                    }
                })
                .connect(address)
                .addListener((io.netty.channel.ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        out.setSuccess(f.channel());
                    } else {
                        out.setFailure(f.cause());
                    }
                });
        return out;
    }
}
