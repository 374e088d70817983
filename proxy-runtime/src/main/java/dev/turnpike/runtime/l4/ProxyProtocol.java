package dev.turnpike.runtime.l4;

import dev.turnpike.runtime.config.ProxyProtocolMode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetSocketAddress;

/** TEMPORARY placeholder until the encoder lands. */
final class ProxyProtocol {
    static ByteBuf header(ProxyProtocolMode mode, InetSocketAddress client, InetSocketAddress local, ByteBufAllocator alloc) {
        throw new UnsupportedOperationException();
    }
}
