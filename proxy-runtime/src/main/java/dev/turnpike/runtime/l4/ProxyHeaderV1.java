package dev.turnpike.runtime.l4;

import dev.turnpike.runtime.l4.HeaderAddresses.Family;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The human-readable PROXY header (version 1): {@code PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n},
 * or {@code PROXY UNKNOWN\r\n}. Written byte by byte into the buffer, with no text built on the way.
 */
final class ProxyHeaderV1 {

    /** The longest line written: TCP6 with two 39-character addresses and two 5-digit ports. */
    static final int MAX_LENGTH = 104;

    private static final byte[] TCP4 = "PROXY TCP4 ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TCP6 = "PROXY TCP6 ".getBytes(StandardCharsets.US_ASCII);
    // The short form: the spec lets a sender leave out the rest of an UNKNOWN line.
    private static final byte[] UNKNOWN = "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII);

    private ProxyHeaderV1() {
    }

    static void write(ByteBuf out, InetSocketAddress source, InetSocketAddress destination) {
        byte[] src = HeaderAddresses.bytes(source);
        byte[] dst = HeaderAddresses.bytes(destination);
        Family family = HeaderAddresses.family(src, dst);
        out.ensureWritable(MAX_LENGTH); // grow once, not field by field
        if (family == Family.UNKNOWN) {
            out.writeBytes(UNKNOWN);
            return;
        }
        if (family == Family.TCP4) {
            out.writeBytes(TCP4);
            writeIpv4(out, src);
            out.writeByte(' ');
            writeIpv4(out, dst);
        } else {
            out.writeBytes(TCP6);
            writeIpv6(out, src);
            out.writeByte(' ');
            writeIpv6(out, dst);
        }
        out.writeByte(' ');
        writeDecimal(out, source.getPort());
        out.writeByte(' ');
        writeDecimal(out, destination.getPort());
        out.writeByte('\r');
        out.writeByte('\n');
    }

    private static void writeIpv4(ByteBuf out, byte[] address) {
        for (int i = 0; i < 4; i++) {
            if (i > 0) {
                out.writeByte('.');
            }
            writeDecimal(out, HeaderAddresses.octet(address, i));
        }
    }

    /**
     * RFC 5952's text form (lowercase, no leading zeros, the longest run of two or more zero groups
     * as {@code ::}, the first of equal runs), but all in hex groups: the spec describes IPv6
     * addresses as colon-separated hex, so a mapped address goes as {@code ::ffff:c000:201}, not with
     * a dotted tail.
     */
    private static void writeIpv6(ByteBuf out, byte[] address) {
        int runStart = -1;
        int runLength = 1; // a run must be longer than this to be compressed
        for (int i = 0; i < 8; ) {
            if (HeaderAddresses.group(address, i) != 0) {
                i++;
                continue;
            }
            int end = i;
            while (end < 8 && HeaderAddresses.group(address, end) == 0) {
                end++;
            }
            if (end - i > runLength) {
                runStart = i;
                runLength = end - i;
            }
            i = end;
        }
        boolean colon = false;
        for (int i = 0; i < 8; i++) {
            if (i == runStart) {
                out.writeByte(':');
                out.writeByte(':');
                i += runLength - 1;
                colon = false;
                continue;
            }
            if (colon) {
                out.writeByte(':');
            }
            writeHex(out, HeaderAddresses.group(address, i));
            colon = true;
        }
    }

    private static void writeHex(ByteBuf out, int group) {
        int shift = 12;
        while (shift > 0 && (group >>> shift & 0xf) == 0) {
            shift -= 4;
        }
        for (; shift >= 0; shift -= 4) {
            int nibble = group >>> shift & 0xf;
            out.writeByte(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
        }
    }

    /** A number from 0 to 65535, without leading zeros (the spec forbids them: they read as octal). */
    private static void writeDecimal(ByteBuf out, int n) {
        if (n >= 10000) {
            out.writeByte('0' + n / 10000);
        }
        if (n >= 1000) {
            out.writeByte('0' + n / 1000 % 10);
        }
        if (n >= 100) {
            out.writeByte('0' + n / 100 % 10);
        }
        if (n >= 10) {
            out.writeByte('0' + n / 10 % 10);
        }
        out.writeByte('0' + n % 10);
    }
}
