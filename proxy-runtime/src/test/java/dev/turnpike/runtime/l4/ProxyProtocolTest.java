package dev.turnpike.runtime.l4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.turnpike.runtime.config.ProxyProtocolMode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ProxyProtocolTest {

    private static final String SIGNATURE = "0d0a0d0a000d0a515549540a";
    private static final String MAX_V6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";

    @Test
    void eachSettingHasItsEncoder() {
        assertSame(ProxyProtocol.NONE, ProxyProtocol.of(ProxyProtocolMode.NONE));
        assertSame(ProxyProtocol.V1, ProxyProtocol.of(ProxyProtocolMode.V1));
        assertSame(ProxyProtocol.V2, ProxyProtocol.of(ProxyProtocolMode.V2));
    }

    // ---- v1: exact text ----

    @Test
    void v1Tcp4() throws Exception {
        assertEquals("PROXY TCP4 192.0.2.1 198.51.100.11 56324 443\r\n",
            v1(at("192.0.2.1", 56324), at("198.51.100.11", 443)));
        assertEquals("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n",
            v1(at("0.0.0.0", 0), at("255.255.255.255", 65535)));
        assertEquals("PROXY TCP4 10.0.0.9 127.0.0.1 10 100\r\n", v1(at("10.0.0.9", 10), at("127.0.0.1", 100)));
    }

    @Test
    void v1Tcp6() throws Exception {
        assertEquals("PROXY TCP6 2001:db8::1 2001:db8::2 40000 8443\r\n",
            v1(at("2001:db8::1", 40000), at("2001:db8::2", 8443)));
        assertEquals("PROXY TCP6 " + MAX_V6 + " " + MAX_V6 + " 65535 65535\r\n",
            v1(at(MAX_V6, 65535), at(MAX_V6, 65535)));
    }

    /** RFC 5952's form: what HAProxy (inet_ntop) writes, and the shortest. */
    @ParameterizedTest
    @CsvSource({
        "::1, ::1",
        "::, ::",
        "1::, 1::",
        "0:0:0:0:0:0:0:1, ::1",
        "2001:DB8:0:0:0:0:0:1, 2001:db8::1",
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1", // one zero group stays
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",          // the longest run
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",    // the first of equal runs
        "1:0:0:2:3:0:0:0, 1:0:0:2:3::",
        "0:0:1:2:3:4:5:6, ::1:2:3:4:5:6",
        "0001:0010:0100:1000:abcd:0:ef:f, 1:10:100:1000:abcd:0:ef:f",
        "0:2:3:4:5:6:7:8, 0:2:3:4:5:6:7:8",           // :: never stands for one group
        "64:ff9b::c000:201, 64:ff9b::c000:201",       // NAT64, not IPv4-mapped
    })
    void v1WritesIpv6Canonically(String address, String written) throws Exception {
        assertEquals("PROXY TCP6 " + written + " ::1 1 2\r\n", v1(at(address, 1), at("::1", 2)));
    }

    @Test
    void v1DropsTheScopeId() throws Exception {
        InetSocketAddress scoped = new InetSocketAddress(Inet6Address.getByAddress(null, bytes("fe80::1"), 3), 5000);
        assertEquals("PROXY TCP6 fe80::1 fe80::2 5000 80\r\n", v1(scoped, at("fe80::2", 80)));
    }

    @Test
    void v1UnknownWhenAnAddressIsMissing() throws Exception {
        InetSocketAddress known = at("192.0.2.1", 1000);
        InetSocketAddress unresolved = InetSocketAddress.createUnresolved("client.example", 1000);
        assertEquals("PROXY UNKNOWN\r\n", v1(null, known));
        assertEquals("PROXY UNKNOWN\r\n", v1(known, null));
        assertEquals("PROXY UNKNOWN\r\n", v1(null, null));
        assertEquals("PROXY UNKNOWN\r\n", v1(unresolved, known));
        assertEquals("PROXY UNKNOWN\r\n", v1(known, unresolved));
    }

    // ---- v1: IPv4-mapped addresses (a dual-stack listener) ----

    @Test
    void v1MappedAddressesGoAsIpv4() throws Exception {
        InetSocketAddress client = mapped("192.0.2.1", 56324);
        InetSocketAddress local = mapped("198.51.100.11", 443);
        assertEquals("PROXY TCP4 192.0.2.1 198.51.100.11 56324 443\r\n", v1(client, local));
        assertEquals("PROXY TCP4 192.0.2.1 198.51.100.11 56324 443\r\n", v1(client, at("198.51.100.11", 443)));
        assertEquals("PROXY TCP4 192.0.2.1 198.51.100.11 56324 443\r\n", v1(at("192.0.2.1", 56324), local));
    }

    @Test
    void v1MixedFamiliesGoAsIpv6WithTheIpv4OneMapped() throws Exception {
        assertEquals("PROXY TCP6 ::ffff:c000:201 2001:db8::2 56324 443\r\n",
            v1(at("192.0.2.1", 56324), at("2001:db8::2", 443)));
        assertEquals("PROXY TCP6 2001:db8::1 ::ffff:c633:640b 56324 443\r\n",
            v1(at("2001:db8::1", 56324), mapped("198.51.100.11", 443)));
    }

    @Test
    void theJdkAlreadyTurnsAMappedLiteralIntoIpv4() throws Exception {
        // Why mapped() builds its Inet6Address by hand: InetAddress never hands one out itself.
        assertInstanceOf(Inet4Address.class, InetAddress.getByName("::ffff:192.0.2.1"));
        assertInstanceOf(Inet6Address.class, mapped("192.0.2.1", 1).getAddress());
    }

    // ---- v2: exact bytes ----

    @Test
    void v2Tcp4() throws Exception {
        assertEquals(SIGNATURE + "21" + "11" + "000c" + "c0000201" + "c633640b" + "dc04" + "01bb",
            v2(at("192.0.2.1", 56324), at("198.51.100.11", 443)));
    }

    @Test
    void v2Tcp6() throws Exception {
        assertEquals(SIGNATURE + "21" + "21" + "0024"
                + "20010db8000000000000000000000001" + "20010db8000000000000000000000002" + "9c40" + "20fb",
            v2(at("2001:db8::1", 40000), at("2001:db8::2", 8443)));
    }

    @Test
    void v2LocalWhenAnAddressIsMissing() throws Exception {
        String local = SIGNATURE + "20" + "00" + "0000";
        InetSocketAddress known = at("2001:db8::1", 1000);
        assertEquals(local, v2(null, known));
        assertEquals(local, v2(known, null));
        assertEquals(local, v2(InetSocketAddress.createUnresolved("client.example", 1000), known));
    }

    @Test
    void v2MappedAddressesGoAsIpv4() throws Exception {
        assertEquals(SIGNATURE + "2111000c" + "c0000201" + "c633640b" + "dc04" + "01bb",
            v2(mapped("192.0.2.1", 56324), mapped("198.51.100.11", 443)));
        assertEquals(SIGNATURE + "2111000c" + "c0000201" + "c633640b" + "dc04" + "01bb",
            v2(mapped("192.0.2.1", 56324), at("198.51.100.11", 443)));
    }

    @Test
    void v2MixedFamiliesGoAsIpv6WithTheIpv4OneMapped() throws Exception {
        assertEquals(SIGNATURE + "21210024"
                + "00000000000000000000ffffc0000201" + "20010db8000000000000000000000002" + "dc04" + "01bb",
            v2(at("192.0.2.1", 56324), at("2001:db8::2", 443)));
    }

    // ---- the buffer ----

    @Test
    void noneWritesNothing() throws Exception {
        ByteBuf out = Unpooled.buffer();
        try {
            ProxyProtocol.NONE.writeHeader(out, at("192.0.2.1", 1), at("192.0.2.2", 2));
            assertEquals(0, out.readableBytes());
            assertEquals(0, ProxyProtocol.NONE.maxLength());
        } finally {
            out.release();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"V1", "V2"})
    void theLongestHeaderFitsMaxLengthExactly(ProxyProtocol version) throws Exception {
        ByteBuf out = Unpooled.buffer(version.maxLength(), version.maxLength());
        try {
            version.writeHeader(out, at(MAX_V6, 65535), at(MAX_V6, 65535));
            assertEquals(version.maxLength(), out.readableBytes());
        } finally {
            out.release();
        }
    }

    @Test
    void appendsAtTheWriterIndex() throws Exception {
        ByteBuf out = Unpooled.buffer(4);
        try {
            out.writeByte('x');
            ProxyProtocol.V1.writeHeader(out, null, null);
            assertEquals("xPROXY UNKNOWN\r\n", out.toString(StandardCharsets.US_ASCII));
        } finally {
            out.release();
        }
    }

    // ---- Netty's decoder reads what we write ----

    static Stream<Arguments> endpoints() throws Exception {
        return Stream.of(
            Arguments.of(at("192.0.2.1", 56324), at("198.51.100.11", 443), "TCP4"),
            // Port 0 is left out: the spec allows it, Netty's v1 decoder does not (no TCP peer has it).
            Arguments.of(at("0.0.0.0", 1), at("255.255.255.255", 65535), "TCP4"),
            Arguments.of(at("127.0.0.1", 40001), at("127.0.0.1", 8443), "TCP4"),
            Arguments.of(at("2001:db8::1", 40000), at("2001:db8::2", 8443), "TCP6"),
            Arguments.of(at("::1", 1), at("::", 2), "TCP6"),
            Arguments.of(at(MAX_V6, 65535), at("1:2:3:4:5:6:7:8", 1), "TCP6"),
            Arguments.of(mapped("192.0.2.1", 56324), mapped("198.51.100.11", 443), "TCP4"),
            Arguments.of(mapped("192.0.2.1", 56324), at("198.51.100.11", 443), "TCP4"),
            Arguments.of(at("192.0.2.1", 56324), at("2001:db8::2", 443), "TCP6"),
            Arguments.of(at("2001:db8::1", 56324), mapped("198.51.100.11", 443), "TCP6"),
            Arguments.of(new InetSocketAddress(Inet6Address.getByAddress(null, bytes("fe80::1"), 3), 5000),
                at("fe80::2", 80), "TCP6"));
    }

    @ParameterizedTest
    @MethodSource("endpoints")
    void nettyDecodesV1(InetSocketAddress source, InetSocketAddress destination, String family) throws Exception {
        crossCheck(ProxyProtocol.V1, source, destination, family);
    }

    @ParameterizedTest
    @MethodSource("endpoints")
    void nettyDecodesV2(InetSocketAddress source, InetSocketAddress destination, String family) throws Exception {
        crossCheck(ProxyProtocol.V2, source, destination, family);
    }

    @Test
    void nettyDecodesUnknownAndLocal() throws Exception {
        for (ProxyProtocol version : List.of(ProxyProtocol.V1, ProxyProtocol.V2)) {
            HAProxyMessage m = decodeWithNetty(version, null, at("192.0.2.1", 443));
            try {
                assertEquals(HAProxyProxiedProtocol.UNKNOWN, m.proxiedProtocol(), version.name());
                // v1 has no LOCAL: UNKNOWN is its way to say "use the connection's own endpoints".
                assertEquals(version == ProxyProtocol.V1 ? HAProxyCommand.PROXY : HAProxyCommand.LOCAL,
                    m.command(), version.name());
                assertNull(m.sourceAddress(), version.name());
                assertNull(m.destinationAddress(), version.name());
            } finally {
                m.release();
            }
        }
    }

    private static void crossCheck(ProxyProtocol version, InetSocketAddress source, InetSocketAddress destination,
                                   String family) throws Exception {
        HAProxyMessage m = decodeWithNetty(version, source, destination);
        try {
            assertEquals(version == ProxyProtocol.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2,
                m.protocolVersion());
            assertEquals(HAProxyCommand.PROXY, m.command());
            assertEquals(HAProxyProxiedProtocol.valueOf(family), m.proxiedProtocol());
            assertArrayEquals(asIpv6(source.getAddress()), asIpv6(InetAddress.getByName(m.sourceAddress())),
                m.sourceAddress());
            assertArrayEquals(asIpv6(destination.getAddress()), asIpv6(InetAddress.getByName(m.destinationAddress())),
                m.destinationAddress());
            assertEquals(source.getPort(), m.sourcePort());
            assertEquals(destination.getPort(), m.destinationPort());
        } finally {
            m.release();
        }
    }

    /**
     * The message Netty's decoder makes of our header, checking on the way that the header is exactly
     * as long as it says: the bytes after it must come through untouched.
     */
    private static HAProxyMessage decodeWithNetty(ProxyProtocol version, InetSocketAddress source,
                                                  InetSocketAddress destination) {
        EmbeddedChannel channel = new EmbeddedChannel(new HAProxyMessageDecoder());
        try {
            ByteBuf in = Unpooled.buffer();
            version.writeHeader(in, source, destination);
            in.writeCharSequence("after the header", StandardCharsets.US_ASCII);
            channel.writeInbound(in);
            HAProxyMessage message = assertInstanceOf(HAProxyMessage.class, channel.readInbound());
            ByteBuf rest = assertInstanceOf(ByteBuf.class, channel.readInbound());
            try {
                assertEquals("after the header", rest.toString(StandardCharsets.US_ASCII));
            } finally {
                rest.release();
            }
            assertNull(channel.readInbound());
            return message;
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    // ---- helpers ----

    private static String v1(InetSocketAddress source, InetSocketAddress destination) {
        ByteBuf out = Unpooled.buffer();
        try {
            ProxyProtocol.V1.writeHeader(out, source, destination);
            return out.toString(StandardCharsets.US_ASCII);
        } finally {
            out.release();
        }
    }

    private static String v2(InetSocketAddress source, InetSocketAddress destination) {
        ByteBuf out = Unpooled.buffer();
        try {
            ProxyProtocol.V2.writeHeader(out, source, destination);
            return ByteBufUtil.hexDump(out);
        } finally {
            out.release();
        }
    }

    /** An address from a literal (never a name lookup). */
    private static InetSocketAddress at(String literal, int port) throws UnknownHostException {
        return new InetSocketAddress(InetAddress.getByAddress(bytes(literal)), port);
    }

    /** An IPv4 address as an IPv4-mapped Inet6Address, as a dual-stack socket could report it. */
    private static InetSocketAddress mapped(String ipv4, int port) throws UnknownHostException {
        byte[] four = bytes(ipv4);
        byte[] sixteen = new byte[16];
        sixteen[10] = (byte) 0xff;
        sixteen[11] = (byte) 0xff;
        System.arraycopy(four, 0, sixteen, 12, 4);
        return new InetSocketAddress(Inet6Address.getByAddress(null, sixteen, -1), port);
    }

    private static byte[] bytes(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal).getAddress();
    }

    private static byte[] asIpv6(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 16) {
            return b;
        }
        return HexFormat.of().parseHex("00000000000000000000ffff" + HexFormat.of().formatHex(b));
    }
}
