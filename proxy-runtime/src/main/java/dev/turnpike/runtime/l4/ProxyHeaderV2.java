package dev.turnpike.runtime.l4;

import dev.turnpike.runtime.l4.HeaderAddresses.Family;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/**
 * The binary PROXY header (version 2): the 12-byte signature, version and command, family and
 * transport, the length of what follows, then the addresses and ports in network byte order. No
 * TLVs.
 */
final class ProxyHeaderV2 {

    /** The longest header written: 16 fixed bytes and the TCP over IPv6 address block. */
    static final int MAX_LENGTH = 16 + 36;

    private static final byte[] SIGNATURE = {
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
    };
    private static final int VERSION_PROXY = 0x21;
    private static final int VERSION_LOCAL = 0x20;
    private static final int TCP_OVER_IPV4 = 0x11;
    private static final int TCP_OVER_IPV6 = 0x21;
    private static final int UNSPEC = 0x00;
    private static final int IPV4_BLOCK = 2 * 4 + 2 * 2;
    private static final int IPV6_BLOCK = 2 * 16 + 2 * 2;

    private ProxyHeaderV2() {
    }

    static void write(ByteBuf out, InetSocketAddress source, InetSocketAddress destination) {
        byte[] src = HeaderAddresses.bytes(source);
        byte[] dst = HeaderAddresses.bytes(destination);
        Family family = HeaderAddresses.family(src, dst);
        out.ensureWritable(MAX_LENGTH); // grow once, not field by field
        out.writeBytes(SIGNATURE);
        if (family == Family.UNKNOWN) {
            // LOCAL tells the receiver to use the connection's own endpoints, as UNKNOWN does in
            // version 1; it must accept it (a PROXY with UNSPEC it may refuse).
            out.writeByte(VERSION_LOCAL);
            out.writeByte(UNSPEC);
            out.writeShort(0);
            return;
        }
        out.writeByte(VERSION_PROXY);
        if (family == Family.TCP4) {
            out.writeByte(TCP_OVER_IPV4);
            out.writeShort(IPV4_BLOCK);
            writeIpv4(out, src);
            writeIpv4(out, dst);
        } else {
            out.writeByte(TCP_OVER_IPV6);
            out.writeShort(IPV6_BLOCK);
            writeIpv6(out, src);
            writeIpv6(out, dst);
        }
        out.writeShort(source.getPort());
        out.writeShort(destination.getPort());
    }

    private static void writeIpv4(ByteBuf out, byte[] address) {
        for (int i = 0; i < 4; i++) {
            out.writeByte(HeaderAddresses.octet(address, i));
        }
    }

    private static void writeIpv6(ByteBuf out, byte[] address) {
        for (int i = 0; i < 8; i++) {
            out.writeShort(HeaderAddresses.group(address, i));
        }
    }
}
