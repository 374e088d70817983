package dev.turnpike.runtime.l4;

import dev.turnpike.runtime.l4.ProxyProtocolBackend.Header;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;

/**
 * Reads a PROXY protocol header (v1 or v2) off the front of a stream, by hand from the spec's text,
 * so that it checks {@link ProxyProtocol}'s encoder independently of Netty's decoder. Strict where
 * the spec says "must": one space between v1 fields, no leading zeros, CRLF within 107 bytes,
 * addresses of the announced family, a v2 version, command and family/protocol byte from the spec's
 * lists, and a length that covers the address block. IPv6 text is taken as colon-separated hex
 * groups only, as the spec describes it (no dotted IPv4 tail, no scope id).
 *
 * <p>Tolerant of a header that arrives in pieces (the spec recommends it): it reads until the header
 * is complete and leaves the stream just past it, the relayed bytes untouched.
 */
final class ProxyHeaderReader {

    /** The longest v1 line a receiver must take, CRLF included. */
    static final int V1_MAX_LINE = 107;

    private static final byte[] V2_SIGNATURE = {
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
    };

    /** A header that does not follow the spec. */
    static final class MalformedHeader extends Exception {
        MalformedHeader(String message) {
            super(message);
        }
    }

    private final InputStream in;
    /** Every byte taken from the stream so far, for the record. */
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();

    ProxyHeaderReader(InputStream in) {
        this.in = in;
    }

    /** The bytes read so far (the header, or as much of a bad one as was read). */
    byte[] seen() {
        return seen.toByteArray();
    }

    Header read() throws IOException, MalformedHeader {
        int first = in.read();
        if (first < 0) {
            throw new MalformedHeader("the connection ended before any header");
        }
        seen.write(first);
        if (first == 'P') {
            return v1();
        }
        if (first == V2_SIGNATURE[0]) {
            return v2();
        }
        throw new MalformedHeader("not a PROXY protocol header (first byte 0x" + HexFormat.of().toHexDigits((byte) first) + ")");
    }

    // ---- version 1 ----

    private Header v1() throws IOException, MalformedHeader {
        String line = v1Line();
        if (!line.startsWith("PROXY ")) {
            throw new MalformedHeader("a v1 line must start with 'PROXY ': " + line);
        }
        String[] fields = line.split(" ", -1);
        String protocol = fields[1];
        if (protocol.equals("UNKNOWN")) {
            // The spec: the receiver ignores whatever follows UNKNOWN on the line.
            return new Header(1, "PROXY", "UNKNOWN", null, null, 0, line);
        }
        boolean v4;
        if (protocol.equals("TCP4")) {
            v4 = true;
        } else if (protocol.equals("TCP6")) {
            v4 = false;
        } else {
            throw new MalformedHeader("unknown v1 protocol '" + protocol + "'");
        }
        if (fields.length != 6) {
            throw new MalformedHeader("a v1 " + protocol + " line has 6 fields separated by single spaces, not "
                + fields.length + ": " + line);
        }
        byte[] src = v4 ? TextAddresses.ipv4(fields[2]) : TextAddresses.ipv6(fields[2]);
        byte[] dst = v4 ? TextAddresses.ipv4(fields[3]) : TextAddresses.ipv6(fields[3]);
        int sport = TextAddresses.port(fields[4]);
        int dport = TextAddresses.port(fields[5]);
        return new Header(1, "PROXY", protocol, endpoint(src, sport), endpoint(dst, dport), 0, line);
    }

    /** The line up to CRLF (not included); 'P' was read already. */
    private String v1Line() throws IOException, MalformedHeader {
        StringBuilder line = new StringBuilder("P");
        while (true) {
            int b = next("the v1 line");
            if (b == '\r') {
                int lf = next("the v1 line");
                if (lf != '\n') {
                    throw new MalformedHeader("a CR not followed by LF in the v1 line");
                }
                return line.toString();
            }
            if (b == '\n') {
                throw new MalformedHeader("a LF without CR ends the v1 line");
            }
            if (b < 0x20 || b > 0x7e) {
                throw new MalformedHeader("a byte that is not printable US-ASCII in the v1 line: 0x"
                    + HexFormat.of().toHexDigits((byte) b));
            }
            line.append((char) b);
            if (line.length() + 2 > V1_MAX_LINE) {
                throw new MalformedHeader("no CRLF within the first " + V1_MAX_LINE + " bytes");
            }
        }
    }

    // ---- version 2 ----

    private Header v2() throws IOException, MalformedHeader {
        for (int i = 1; i < V2_SIGNATURE.length; i++) {
            if (next("the v2 signature") != (V2_SIGNATURE[i] & 0xff)) {
                throw new MalformedHeader("not a PROXY protocol header (bad v2 signature at byte " + (i + 1) + ")");
            }
        }
        int versionCommand = next("the v2 header");
        int familyProtocol = next("the v2 header");
        int length = next("the v2 header") << 8 | next("the v2 header");
        if (versionCommand >> 4 != 2) {
            throw new MalformedHeader("v2 signature with version " + (versionCommand >> 4));
        }
        String command = switch (versionCommand & 0xf) {
            case 0 -> "LOCAL";
            case 1 -> "PROXY";
            default -> throw new MalformedHeader("unassigned v2 command " + (versionCommand & 0xf));
        };
        String family;
        int block;
        switch (familyProtocol) {
            case 0x00 -> { family = "UNSPEC"; block = 0; }
            case 0x11 -> { family = "TCP4"; block = 12; }
            case 0x12 -> { family = "UDP4"; block = 12; }
            case 0x21 -> { family = "TCP6"; block = 36; }
            case 0x22 -> { family = "UDP6"; block = 36; }
            case 0x31 -> { family = "UNIX_STREAM"; block = 216; }
            case 0x32 -> { family = "UNIX_DGRAM"; block = 216; }
            default -> throw new MalformedHeader("v2 family/protocol byte 0x"
                + HexFormat.of().toHexDigits((byte) familyProtocol) + " is not one the spec lists");
        }
        byte[] rest = new byte[length];
        for (int i = 0; i < length; i++) {
            rest[i] = (byte) next("the v2 address block (" + length + " bytes announced)");
        }
        String raw = HexFormat.of().formatHex(seen());
        // LOCAL: the receiver must use the connection's own endpoints and ignore the block.
        if (command.equals("LOCAL") || block == 0) {
            return new Header(2, command, family, null, null, length, raw);
        }
        if (length < block) {
            throw new MalformedHeader("v2 length " + length + " is shorter than the " + block
                + "-byte address block of " + family);
        }
        if (block == 216) { // AF_UNIX: no IP endpoints to report
            return new Header(2, command, family, null, null, length - block, raw);
        }
        int size = block == 12 ? 4 : 16;
        byte[] src = slice(rest, 0, size);
        byte[] dst = slice(rest, size, size);
        int sport = (rest[2 * size] & 0xff) << 8 | rest[2 * size + 1] & 0xff;
        int dport = (rest[2 * size + 2] & 0xff) << 8 | rest[2 * size + 3] & 0xff;
        return new Header(2, command, family, endpoint(src, sport), endpoint(dst, dport), length - block, raw);
    }

    // ---- bytes ----

    private int next(String what) throws IOException, MalformedHeader {
        int b = in.read();
        if (b < 0) {
            throw new MalformedHeader("the connection ended in " + what + " after " + seen.size() + " bytes");
        }
        seen.write(b);
        return b;
    }

    private static byte[] slice(byte[] a, int from, int length) {
        byte[] s = new byte[length];
        System.arraycopy(a, from, s, 0, length);
        return s;
    }

    /** As a Java server would see it: an IPv4-mapped address comes out as IPv4 (the JDK maps it). */
    private static InetSocketAddress endpoint(byte[] address, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(address), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes were given", e);
        }
    }

    /** Text of bytes for a record: printable ASCII as is, anything else as \xNN. */
    static String escaped(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            if (b >= 0x20 && b < 0x7f && b != '\\') {
                s.append((char) b);
            } else {
                s.append("\\x").append(HexFormat.of().toHexDigits(b));
            }
        }
        return s.toString();
    }
}
