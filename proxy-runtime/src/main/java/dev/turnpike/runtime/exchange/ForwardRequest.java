package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.HostPort;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.runtime.forward.ForwardRefusal;
import dev.turnpike.runtime.forward.Forwarding;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;

/**
 * The forward proxy's part of one request, after {@code request_filter}: the target is checked and
 * resolved without blocking the loop ({@link Forwarding#resolve}), then either handed back as the
 * peer of an ordinary exchange (absolute form) or connected to for a CONNECT tunnel. The owner
 * hears the outcome on the request's loop; when the request ended meanwhile (the client left), a
 * connection that was made is closed.
 */
final class ForwardRequest {

    interface Owner {
        /** Whether the request ended or is being answered (then nothing more is done for it). */
        boolean over();

        void fail(ProxyError failure);

        /** An absolute-form request's origin, resolved and checked: the exchange goes on to it. */
        void toOrigin(Peer origin);

        /** A CONNECT's connection to its checked target is open (the owner now holds it). */
        void connected(Channel target);
    }

    private final Owner owner;
    private final Forwarding forwarding;
    private final HostPort target;
    private final boolean connect;
    private final EventLoop loop;

    ForwardRequest(Owner owner, Forwarding forwarding, HostPort target, boolean connect, EventLoop loop) {
        this.owner = owner;
        this.forwarding = forwarding;
        this.target = target;
        this.connect = connect;
        this.loop = loop;
    }

    void start() {
        Future<InetSocketAddress> resolved = forwarding.resolve(target, connect, loop);
        if (resolved.isDone()) {
            resolvedThen(resolved);
        } else {
            resolved.addListener(f -> resolvedThen(resolved));
        }
    }

    private void resolvedThen(Future<InetSocketAddress> resolved) {
        if (owner.over()) {
            return;
        }
        if (!resolved.isSuccess()) {
            Throwable cause = resolved.cause();
            owner.fail(cause instanceof ForwardRefusal r
                    ? ProxyError.of(ErrorKind.BAD_REQUEST, r.getMessage(), null).withStatus(403)
                    : ProxyError.of(ErrorKind.UNRESOLVABLE, "forward target " + target.host() + " could not be resolved", cause));
            return;
        }
        InetSocketAddress address = resolved.getNow();
        Peer checked = Peer.of(address.getAddress().getHostAddress(), address.getPort());
        if (!connect) {
            owner.toOrigin(checked);
            return;
        }
        Future<Channel> opened = forwarding.connect(address, loop);
        opened.addListener(f -> {
            if (!opened.isSuccess()) {
                if (!owner.over()) {
                    owner.fail(UpstreamErrors.connectFailed(checked, opened.cause()));
                }
            } else if (owner.over()) {
                opened.getNow().close();
            } else {
                owner.connected(opened.getNow());
            }
        });
    }
}
