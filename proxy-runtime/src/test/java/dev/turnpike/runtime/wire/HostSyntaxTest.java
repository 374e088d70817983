package dev.turnpike.runtime.wire;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostSyntaxTest {

    @ParameterizedTest
    @ValueSource(strings = {"example.com", "example.com:8080", "127.0.0.1", "[::1]", "[::1]:443", "[::]",
        "[2001:db8::7]:80", "[1:2:3:4:5:6:7:8]", "[::ffff:192.0.2.1]", "[fe80::1:2]", "a-b_c~d.e", "xn--bcher-kva.example", "%41bc", "a!$&'()*+,;=b", "h:65535"})
    void valid(String host) {
        assertTrue(HostSyntax.valid(host), host);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b", "exa mple.com", "@x", "user@host", "x:port", "[::1", "::1", "a/b", "x:99999",
        "x:65536", "x:1:2", "", "x:", ":80", "[:1]", "[1:2:3:4:5:6:7:8:9]", "[1::2::3]", "[12345::]",
        "[::1%eth0]", "[::256.1.1.1]", "[::01.1.1.1]", "[1:2:3:4:5:6:7]", "[v1.x]", "%4", "%zz", "h\u0000", "[::1]x", "[]", "a\"b", "a\\b", "a?b", "a#b"})
    void invalid(String host) {
        assertFalse(HostSyntax.valid(host), host);
    }
}
