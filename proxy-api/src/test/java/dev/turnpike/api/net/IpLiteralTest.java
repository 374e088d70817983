package dev.turnpike.api.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IpLiteralTest {

    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    @Test
    void ipv4() {
        InetAddress a = IpLiteral.parse("192.0.2.1");
        assertTrue(a instanceof Inet4Address);
        assertArrayEquals(bytes(192, 0, 2, 1), a.getAddress());
        assertArrayEquals(bytes(0, 0, 0, 0), IpLiteral.parse("0.0.0.0").getAddress());
        assertArrayEquals(bytes(255, 255, 255, 255), IpLiteral.parse("255.255.255.255").getAddress());
        assertArrayEquals(bytes(10, 0, 0, 1), IpLiteral.parse("  10.0.0.1 ").getAddress(), "trimmed");
    }

    @Test
    void ipv4NonLiterals() {
        for (String s : new String[] {"256.0.0.1", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.4.", ".1.2.3.4", "1.2.3.-4",
                "0x7f.0.0.1", "1.2.3.4:80", "1.2.3.4/8", "localhost", "example.com", "1.2.3.a", "", " ", "99999999999.1.1.1"}) {
            assertNull(IpLiteral.parse(s), s);
        }
        assertNull(IpLiteral.parse(null));
    }

    @Test
    void ipv6() {
        InetAddress a = IpLiteral.parse("2001:db8::1");
        assertTrue(a instanceof Inet6Address);
        assertArrayEquals(bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), a.getAddress());
        assertEquals(IpLiteral.parse("::1"), IpLiteral.parse("[::1]"), "brackets as in URLs and Forwarded");
        assertEquals(IpLiteral.parse("2001:DB8::1"), a, "hex digits of either case");
        assertTrue(IpLiteral.parse("fe80::1%1") instanceof Inet6Address, "a numeric zone");
    }

    @Test
    void anIpv4MappedIpv6AddressIsItsIpv4Address() {
        InetAddress a = IpLiteral.parse("::ffff:192.0.2.1");
        assertTrue(a instanceof Inet4Address);
        assertEquals(IpLiteral.parse("192.0.2.1"), a);
    }

    @Test
    void ipv6NonLiterals() {
        for (String s : new String[] {"2001:db8::g", "1:2:3:4:5:6:7:8:9", ":::", "[::1]:80", "[::1", "::1]", "fe80::1%eth0",
                "[]", "2001:db8::1/64", "host:80"}) {
            assertNull(IpLiteral.parse(s), s);
        }
    }

    /**
     * BUG, reported rather than fixed here (the API is not this change's to edit): IpLiteral sends
     * some non-literals to the resolver. Its IPv6 branch lets through any text made of hex digits,
     * {@code :}, {@code .} and {@code %}, and hands it to {@code InetAddress.getByName}, trusting that
     * "with a colon in it, the JDK treats the text as an IPv6 literal". The JDK only does so when the
     * text starts with a hex digit or a colon: {@code .1:2} or {@code %1:2} go to the name service,
     * i.e. a blocking DNS look-up on the event loop, of a name a client wrote (X-Forwarded-For).
     *
     * <p>Shown without touching the network: a child JVM whose name service is a hosts file
     * ({@code -Djdk.net.hosts.file}) in which those texts are names. IpLiteral then returns the
     * addresses the "look-up" found instead of {@code null}. Fix: in {@code parseV6}, return null
     * unless the text starts with a hex digit or ':' (the fix that is in).
     */
    @Test
    void neverAsksTheResolver(@TempDir Path dir) throws Exception {
        List<String> names = List.of(".1:2", "%1:2", "[.1:2]", ".a:b", "%:");
        Path hosts = dir.resolve("hosts");
        Files.writeString(hosts, "203.0.113.91 .1:2\n203.0.113.92 %1:2\n203.0.113.93 .a:b\n203.0.113.94 %:\n");
        List<String> lines = runProbe(hosts, names);
        assertEquals(names.size(), lines.size(), () -> "probe output: " + lines);
        for (int i = 0; i < names.size(); i++) {
            assertEquals(names.get(i) + " -> null", lines.get(i), "IpLiteral.parse asked the name service");
        }
    }

    /** The probe itself works: in the same child JVM, a real name does resolve through the hosts file. */
    @Test
    void theProbeSeesTheHostsFile(@TempDir Path dir) throws Exception {
        Path hosts = dir.resolve("hosts");
        Files.writeString(hosts, "203.0.113.95 probe.example\n");
        List<String> lines = runProbe(hosts, List.of("=probe.example", "192.0.2.1"));
        assertEquals(List.of("=probe.example -> 203.0.113.95", "192.0.2.1 -> 192.0.2.1"), lines);
    }

    private static List<String> runProbe(Path hosts, List<String> inputs) throws IOException, InterruptedException,
            URISyntaxException {
        String cp = Path.of(IpLiteral.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                + java.io.File.pathSeparator
                + Path.of(LookupProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djdk.net.hosts.file=" + hosts, "-cp", cp, LookupProbe.class.getName()));
        command.addAll(inputs);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out.lines().toList();
    }
}
