package dev.turnpike.runtime.l4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.runtime.l4.ProxyProtocolBackend.Arrival;
import dev.turnpike.runtime.l4.ProxyProtocolBackend.Header;
import dev.turnpike.runtime.l4.ProxyProtocolBackend.Refused;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ProxyProtocolBackendTest {

    private static final String SIGNATURE = "0d0a0d0a000d0a515549540a";
    private static final byte[] PAYLOAD = "hello\r\nbackend\0\u00ff".getBytes(StandardCharsets.ISO_8859_1);

    private ProxyProtocolBackend backend;

    @BeforeEach
    void start() throws IOException {
        backend = ProxyProtocolBackend.withProxyProtocol();
    }

    @AfterEach
    void stop() throws IOException {
        backend.close();
    }

    // ---- headers made by hand ----

    @Test
    void v1Tcp4() throws Exception {
        assertEchoed(exchange(ascii("PROXY TCP4 192.0.2.1 198.51.100.11 56324 443\r\n"), PAYLOAD));
        assertEquals(List.of(new Header(1, "PROXY", "TCP4", at("192.0.2.1", 56324), at("198.51.100.11", 443), 0,
            "PROXY TCP4 192.0.2.1 198.51.100.11 56324 443")), backend.arrivals());
    }

    @Test
    void v1Tcp6() throws Exception {
        assertEchoed(exchange(ascii("PROXY TCP6 2001:DB8::1 ::ffff:c000:201 65535 0\r\n"), PAYLOAD));
        Header h = onlyHeader();
        assertEquals("TCP6", h.family());
        assertEquals(at("2001:db8::1", 65535), h.source());
        assertEquals(at("192.0.2.1", 0), h.destination()); // the JDK's view of a mapped address
    }

    @Test
    void v1UnknownIgnoresTheRestOfItsLine() throws Exception {
        assertEchoed(exchange(ascii("PROXY UNKNOWN ffff:: ffff:: 65535 65535\r\n"), PAYLOAD));
        assertEquals(new Header(1, "PROXY", "UNKNOWN", null, null, 0, "PROXY UNKNOWN ffff:: ffff:: 65535 65535"),
            onlyHeader());
    }

    @Test
    void v2Tcp4() throws Exception {
        String header = SIGNATURE + "2111000c" + "c0000201" + "c633640b" + "dc04" + "01bb";
        assertEchoed(exchange(hex(header), PAYLOAD));
        assertEquals(List.of(new Header(2, "PROXY", "TCP4", at("192.0.2.1", 56324), at("198.51.100.11", 443), 0,
            header)), backend.arrivals());
    }

    @Test
    void v2Tcp6WithATlvSkipped() throws Exception {
        String header = SIGNATURE + "21210027" + "20010db8000000000000000000000001" + "20010db8000000000000000000000002"
            + "9c40" + "20fb" + "040000"; // PP2_TYPE_NOOP, empty
        assertEchoed(exchange(hex(header), PAYLOAD));
        assertEquals(new Header(2, "PROXY", "TCP6", at("2001:db8::1", 40000), at("2001:db8::2", 8443), 3, header),
            onlyHeader());
    }

    @Test
    void v2Local() throws Exception {
        assertEchoed(exchange(hex(SIGNATURE + "20000000"), PAYLOAD));
        assertEquals(new Header(2, "LOCAL", "UNSPEC", null, null, 0, SIGNATURE + "20000000"), onlyHeader());
    }

    @Test
    void aHeaderInPiecesStillParses() throws Exception {
        byte[] header = ascii("PROXY TCP4 10.1.2.3 10.4.5.6 1000 2000\r\n");
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            for (byte b : header) {
                out.write(b);
                out.flush();
                Thread.sleep(2);
            }
            out.write(PAYLOAD);
            s.shutdownOutput();
            assertEchoed(s.getInputStream().readAllBytes());
        }
        assertEquals(at("10.1.2.3", 1000), onlyHeader().source());
    }

    @Test
    void echoesALargeBodyWhileItArrives() throws Exception {
        byte[] body = new byte[4 * 1024 * 1024];
        new Random(7).nextBytes(body);
        try (Socket s = connect()) {
            CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> readAll(s));
            OutputStream out = s.getOutputStream();
            out.write(hex(SIGNATURE + "20000000"));
            out.write(body);
            s.shutdownOutput();
            assertArrayEquals(body, echoed.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void recordsEachConnectionInTurn() throws Exception {
        assertEchoed(exchange(ascii("PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n"), PAYLOAD));
        assertEchoed(exchange(ascii("PROXY TCP4 192.0.2.3 192.0.2.4 3 4\r\n"), PAYLOAD));
        List<Arrival> arrivals = backend.awaitArrivals(2, Duration.ofSeconds(5));
        assertEquals(at("192.0.2.1", 1), ((Header) arrivals.get(0)).source());
        assertEquals(at("192.0.2.3", 3), ((Header) arrivals.get(1)).source());
        assertEquals(2, backend.connections());
    }

    // ---- headers it refuses ----

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n                     | not a PROXY protocol header
        PROXY TCP4 192.0.2.01 192.0.2.2 1 2\\r\\n                    | leading zero
        PROXY TCP4 192.0.2.1 192.0.2.2 01 2\\r\\n                    | leading zero
        PROXY TCP4 192.0.2.1  192.0.2.2 1 2\\r\\n                    | 6 fields separated by single spaces
        PROXY TCP4 192.0.2.1 192.0.2.2 1 2\\n                        | LF without CR
        PROXY TCP4 192.0.2.1 192.0.2.2 1 2\\rX\\n                    | CR not followed by LF
        PROXY TCP4 192.0.2.1 192.0.2.256 1 2\\r\\n                   | over 255
        PROXY TCP4 127.1 192.0.2.2 1 2\\r\\n                         | not an IPv4 address
        PROXY TCP4 2001:db8::1 192.0.2.2 1 2\\r\\n                   | not an IPv4 address
        PROXY TCP6 192.0.2.1 2001:db8::2 1 2\\r\\n                   | colon-separated hex
        PROXY TCP6 1:2:3:4:5:6:7 2001:db8::2 1 2\\r\\n               | 128 bits
        PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 1 2\\r\\n            | colon-separated hex
        PROXY TCP6 fe80::1%eth0 2001:db8::2 1 2\\r\\n                | colon-separated hex
        PROXY TCP6 1::2::3 2001:db8::2 1 2\\r\\n                     | more than one '::'
        PROXY TCP6 1:2:3:4:5:6:7:8:9 2001:db8::2 1 2\\r\\n           | 128 bits
        PROXY TCP6 12345:: 2001:db8::2 1 2\\r\\n                     | 1 to 4 hex digits
        PROXY TCP4 192.0.2.1 192.0.2.2 1 65536\\r\\n                 | over 65535
        PROXY TCP4 192.0.2.1 192.0.2.2 1\\r\\n                       | 6 fields
        PROXY UDP4 192.0.2.1 192.0.2.2 1 2\\r\\n                     | unknown v1 protocol
        PROXYTCP4 192.0.2.1 192.0.2.2 1 2\\r\\n                      | must start with 'PROXY '
        PROXY TCP4 192.0.2.1 192.0.2.2 1 2                           | the connection ended in the v1 line
        PROXY TCP4 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\\r\\n | no CRLF within the first 107 bytes
        hex:0d0a0d0a000d0a515549540a1111000cc0000201c633640bdc0401bb | version 1
        hex:0d0a0d0a000d0a515549540a2211000cc0000201c633640bdc0401bb | unassigned v2 command 2
        hex:0d0a0d0a000d0a515549540a2113000cc0000201c633640bdc0401bb | 0x13 is not one the spec lists
        hex:0d0a0d0a000d0a515549540a21110008c0000201c633640b         | shorter than the 12-byte address block
        hex:0d0a0d0a000d0a515549540a2111000cc0000201c633             | the connection ended in the v2 address block
        hex:0d0a0d0a000d0a5155495420                                 | bad v2 signature at byte 12
        hex:0d0a0d0a                                                 | the connection ended in the v2 signature
        hex:                                                         | ended before any header
        """)
    void refuses(String sent, String reason) throws Exception {
        byte[] bytes = sent.startsWith("hex:") ? hex(sent.substring(4)) : ascii(sent.replace("\\r", "\r").replace("\\n", "\n"));
        // Nothing after the header: the payload would complete the truncated ones.
        byte[] back = exchange(bytes, new byte[0]);
        assertEquals(0, back.length, "a refused connection echoes nothing");
        Refused r = assertInstanceOf(Refused.class, backend.awaitArrivals(1, Duration.ofSeconds(5)).get(0));
        assertTrue(r.reason().contains(reason), r.toString());
    }

    // ---- plain mode ----

    @Test
    void plainEchoesAHeaderLikeAnyOtherByte() throws Exception {
        try (ProxyProtocolBackend plain = ProxyProtocolBackend.plain()) {
            byte[] header = ascii("PROXY TCP4 192.0.2.1 198.51.100.11 56324 443\r\n");
            byte[] back;
            try (Socket s = new Socket(plain.address().getAddress(), plain.port())) {
                s.getOutputStream().write(header);
                s.getOutputStream().write(PAYLOAD);
                s.shutdownOutput();
                back = s.getInputStream().readAllBytes();
            }
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            expected.write(header);
            expected.write(PAYLOAD);
            assertArrayEquals(expected.toByteArray(), back);
            assertEquals(List.of(), plain.arrivals());
            assertEquals(1, plain.connections());
        }
    }

    // ---- our encoder, read by the hand-written parser ----

    static Stream<Arguments> endpoints() throws Exception {
        return Stream.of(
            Arguments.of("V1", at("192.0.2.1", 56324), at("198.51.100.11", 443), "TCP4"),
            Arguments.of("V2", at("192.0.2.1", 56324), at("198.51.100.11", 443), "TCP4"),
            Arguments.of("V1", at("0.0.0.0", 0), at("255.255.255.255", 65535), "TCP4"),
            Arguments.of("V2", at("0.0.0.0", 0), at("255.255.255.255", 65535), "TCP4"),
            Arguments.of("V1", at("2001:db8::1", 40000), at("2001:db8:0:0:1::2", 8443), "TCP6"),
            Arguments.of("V2", at("2001:db8::1", 40000), at("2001:db8:0:0:1::2", 8443), "TCP6"),
            Arguments.of("V1", at("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535), at("::", 1), "TCP6"),
            Arguments.of("V1", mapped("192.0.2.1", 5), mapped("192.0.2.2", 6), "TCP4"),
            Arguments.of("V2", mapped("192.0.2.1", 5), at("192.0.2.2", 6), "TCP4"),
            Arguments.of("V1", at("192.0.2.1", 5), at("2001:db8::2", 6), "TCP6"),
            Arguments.of("V2", at("192.0.2.1", 5), at("2001:db8::2", 6), "TCP6"));
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @MethodSource("endpoints")
    void readsWhatOurEncoderWrites(ProxyProtocol version, InetSocketAddress source, InetSocketAddress destination,
                                   String family) throws Exception {
        assertEchoed(exchange(encode(version, source, destination), PAYLOAD));
        Header h = onlyHeader();
        assertEquals(version == ProxyProtocol.V1 ? 1 : 2, h.version());
        assertEquals("PROXY", h.command());
        assertEquals(family, h.family());
        // A mapped address comes out as IPv4 on both sides: the JDK maps it.
        assertEquals(new InetSocketAddress(InetAddress.getByAddress(source.getAddress().getAddress()), source.getPort()),
            h.source());
        assertEquals(new InetSocketAddress(InetAddress.getByAddress(destination.getAddress().getAddress()),
            destination.getPort()), h.destination());
        assertEquals(0, h.skippedBytes());
    }

    @Test
    void readsOurUnknownAndLocal() throws Exception {
        assertEchoed(exchange(encode(ProxyProtocol.V1, null, at("192.0.2.1", 1)), PAYLOAD));
        assertEchoed(exchange(encode(ProxyProtocol.V2, null, at("192.0.2.1", 1)), PAYLOAD));
        List<Arrival> arrivals = backend.awaitArrivals(2, Duration.ofSeconds(5));
        assertEquals(new Header(1, "PROXY", "UNKNOWN", null, null, 0, "PROXY UNKNOWN"), arrivals.get(0));
        assertEquals(new Header(2, "LOCAL", "UNSPEC", null, null, 0, SIGNATURE + "20000000"), arrivals.get(1));
    }

    // ---- helpers ----

    private Header onlyHeader() throws Exception {
        List<Arrival> arrivals = backend.awaitArrivals(1, Duration.ofSeconds(5));
        assertEquals(1, arrivals.size(), arrivals.toString());
        return assertInstanceOf(Header.class, arrivals.get(0));
    }

    private Socket connect() throws IOException {
        Socket s = new Socket(backend.address().getAddress(), backend.port());
        s.setSoTimeout(10_000);
        s.setTcpNoDelay(true);
        return s;
    }

    /** Sends the header and the payload, half-closes, and returns everything that came back. */
    private byte[] exchange(byte[] header, byte[] payload) throws IOException {
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write(header);
            out.write(payload);
            s.shutdownOutput();
            return s.getInputStream().readAllBytes();
        }
    }

    private static void assertEchoed(byte[] back) {
        assertArrayEquals(PAYLOAD, back, () -> "echoed: " + ProxyHeaderReader.escaped(back));
    }

    private static byte[] readAll(Socket s) {
        try (InputStream in = s.getInputStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] encode(ProxyProtocol version, InetSocketAddress source, InetSocketAddress destination) {
        ByteBuf out = Unpooled.buffer(version.maxLength());
        try {
            version.writeHeader(out, source, destination);
            return ByteBufUtil.getBytes(out);
        } finally {
            out.release();
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    private static InetSocketAddress at(String literal, int port) throws IOException {
        return new InetSocketAddress(InetAddress.getByAddress(InetAddress.getByName(literal).getAddress()), port);
    }

    private static InetSocketAddress mapped(String ipv4, int port) throws IOException {
        byte[] sixteen = hex("00000000000000000000ffff" + HexFormat.of().formatHex(InetAddress.getByName(ipv4).getAddress()));
        return new InetSocketAddress(Inet6Address.getByAddress(null, sixteen, -1), port);
    }
}
