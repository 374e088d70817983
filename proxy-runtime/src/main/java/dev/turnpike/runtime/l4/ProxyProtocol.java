package dev.turnpike.runtime.l4;

import dev.turnpike.runtime.config.ProxyProtocolMode;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/**
 * The header a TCP listener with {@code proxy_protocol} ({@code v1} or {@code v2}) sends to the
 * backend: HAProxy's PROXY protocol, which tells the backend the address of the client a relayed
 * connection comes from (spec:
 * <a href="https://www.haproxy.org/download/2.8/doc/proxy-protocol.txt">proxy-protocol.txt</a>).
 *
 * <p><b>When it is written.</b> Once per backend connection, as its very first bytes: as soon as
 * the connection to the backend is established, before any byte relayed from the client (bytes the
 * client sent early must wait behind it). The caller writes it as one buffer, so that it leaves in
 * one segment as the spec asks (it is at most {@link #maxLength()} bytes). Only on a connection that
 * carries one client's bytes: never on a pooled or shared upstream connection, where the backend
 * would take every later client for the first (the spec forbids it there). A health probe to such
 * a backend needs a header too; it should name the probe connection's own endpoints rather than
 * rely on the unknown form, which the spec says some backends refuse.
 *
 * <p><b>What it says.</b> {@code source} is the client's address (the client channel's remote
 * address), {@code destination} the proxy's own address the client connected to (its local
 * address). When both are IPv4, or IPv4-mapped IPv6 (a dual-stack listener), the header is TCP over
 * IPv4; otherwise TCP over IPv6, an IPv4 one then written in its mapped form
 * ({@code ::ffff:a.b.c.d}) so that both share the family. A missing or unresolved address gives the
 * header that tells the backend to use the connection's own endpoints: {@code PROXY UNKNOWN\r\n}
 * (v1) or a LOCAL command with the UNSPEC family and no addresses (v2). Scope ids are dropped: the
 * header has no room for them and they mean nothing on another host. No v2 TLVs are sent.
 *
 * <p><b>Cost.</b> Meant for the event loop: no blocking, no text formatting. It writes into the
 * buffer the caller gives; the only other allocation is the JDK's copy of each address's bytes
 * ({@link java.net.InetAddress#getAddress()} has no allocation-free form). Stateless, so safe from
 * any thread.
 */
public enum ProxyProtocol {
    /** No header: the backend sees the proxy as its client. */
    NONE(0),
    /** The human-readable header, one line of US-ASCII text. */
    V1(ProxyHeaderV1.MAX_LENGTH),
    /** The binary header. */
    V2(ProxyHeaderV2.MAX_LENGTH);

    private final int maxLength;

    ProxyProtocol(int maxLength) {
        this.maxLength = maxLength;
    }

    /** The encoder for {@code tcp[i].proxy_protocol} (the setting is config's, which knows no Netty). */
    public static ProxyProtocol of(ProxyProtocolMode mode) {
        return switch (mode) {
            case NONE -> NONE;
            case V1 -> V1;
            case V2 -> V2;
        };
    }

    /**
     * The most bytes {@link #writeHeader} writes: 104 for {@code v1}, 52 for {@code v2}, 0 for
     * {@code none}. A buffer of this capacity takes the header without growing.
     */
    public int maxLength() {
        return maxLength;
    }

    /**
     * Writes this version's header for one relayed connection at {@code out}'s writer index;
     * {@link #NONE} writes nothing. {@code out} must be able to take {@link #maxLength()} more
     * bytes (it is grown, within its maximum capacity, if it has less room). See the type's
     * description for when to write it and what it says.
     *
     * @param out         where the header goes; the caller owns it (and releases or writes it)
     * @param source      the client's address: the client channel's remote address, or {@code null}
     * @param destination the proxy's address the client connected to: the client channel's local
     *                    address, or {@code null}
     */
    public void writeHeader(ByteBuf out, InetSocketAddress source, InetSocketAddress destination) {
        switch (this) {
            case V1 -> ProxyHeaderV1.write(out, source, destination);
            case V2 -> ProxyHeaderV2.write(out, source, destination);
            case NONE -> {
            }
        }
    }
}
