package dev.turnpike.runtime.forward;

import dev.turnpike.runtime.wire.ForwardTarget;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.turnpike.api.HostPort;
import dev.turnpike.runtime.config.ForwardProxySettings;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForwardPolicyTest {

    private static ForwardPolicy policy(List<String> allow, List<String> deny) {
        return new ForwardPolicy(new ForwardProxySettings(true, List.of(443, 8443), allow, deny));
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal); // literals only: no lookup
    }

    @Test
    void connectPorts() {
        ForwardPolicy p = policy(List.of(), List.of());
        assertNull(p.refusePort(443));
        assertNull(p.refusePort(8443));
        assertEquals("CONNECT to port 22 is not allowed", p.refusePort(22));
    }

    @Test
    void noPatternAllowsAnyHost() {
        assertNull(policy(List.of(), List.of()).refuseHost("anything.example"));
    }

    @Test
    void exactPatternsIgnoreCaseAndAFinalDot() {
        ForwardPolicy p = policy(List.of("API.example.com", "10.1.2.3"), List.of());
        assertNull(p.refuseHost("api.example.com"));
        assertNull(p.refuseHost("Api.Example.Com."));
        assertNull(p.refuseHost("10.1.2.3"));
        assertEquals("www.example.com is not an allowed host", p.refuseHost("www.example.com"));
        assertNotNull(p.refuseHost("example.com"));
        assertNotNull(p.refuseHost("xapi.example.com"));
    }

    @Test
    void aWildcardMatchesOneOrMoreLabelsButNotTheSuffixItself() {
        ForwardPolicy p = policy(List.of("*.example.com"), List.of());
        assertNull(p.refuseHost("a.example.com"));
        assertNull(p.refuseHost("a.b.example.com"));
        assertNotNull(p.refuseHost("example.com"));
        assertNotNull(p.refuseHost("badexample.com"));
        assertNotNull(p.refuseHost("example.com.evil.net"));
    }

    @Test
    void patternsAreChecked() {
        assertNull(ForwardPolicy.patternProblem("*.example.com"));
        assertNull(ForwardPolicy.patternProblem("host-1.example.com"));
        assertNull(ForwardPolicy.patternProblem("::1"));
        assertNotNull(ForwardPolicy.patternProblem(""));
        assertNotNull(ForwardPolicy.patternProblem("*"));
        assertNotNull(ForwardPolicy.patternProblem("a.*.com"));
        assertNotNull(ForwardPolicy.patternProblem("*example.com"));
        assertNotNull(ForwardPolicy.patternProblem("a..b"));
        assertNotNull(ForwardPolicy.patternProblem("-a.b"));
        assertNotNull(ForwardPolicy.patternProblem("a b"));
        assertNotNull(ForwardPolicy.patternProblem("*.10.0.0.1"));
    }

    @Test
    void theDefaultDenyListCoversLoopbackPrivateAndLinkLocalV4() throws Exception {
        ForwardPolicy p = policy(List.of(), ForwardProxySettings.DEFAULT_DENY);
        for (String denied : List.of("127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                "169.254.169.254")) {
            String why = p.refuseAddress("h", ip(denied));
            assertNotNull(why, denied);
            assertEquals(true, why.startsWith("h resolves to a denied network"), why);
        }
        for (String open : List.of("8.8.8.8", "172.32.0.1", "172.15.255.255", "192.169.0.1", "11.0.0.1")) {
            assertNull(p.refuseAddress("h", ip(open)), open);
        }
    }

    @Test
    void theDefaultDenyListCoversV6LoopbackAndUniqueLocal() throws Exception {
        ForwardPolicy p = policy(List.of(), ForwardProxySettings.DEFAULT_DENY);
        assertNotNull(p.refuseAddress("h", ip("::1")));
        assertNotNull(p.refuseAddress("h", ip("fc00::1")));
        assertNotNull(p.refuseAddress("h", ip("fd12:3456::1")));
        assertNull(p.refuseAddress("h", ip("2001:db8::1")));
        assertNull(p.refuseAddress("h", ip("fe00::1")));
        // An IPv4-mapped address is the IPv4 address it maps.
        assertNotNull(p.refuseAddress("h", ip("::ffff:127.0.0.1")));
    }

    @Test
    void unspecifiedAndMulticastAreAlwaysRefused() throws Exception {
        ForwardPolicy p = policy(List.of(), List.of());
        assertNotNull(p.refuseAddress("h", ip("0.0.0.0")));
        assertNotNull(p.refuseAddress("h", ip("::")));
        assertNotNull(p.refuseAddress("h", ip("224.0.0.1")));
        assertNull(p.refuseAddress("h", ip("127.0.0.1")));
    }

    @Test
    void targets() {
        assertEquals(new HostPort("example.com", 443), ForwardTarget.of(req(HttpMethod.CONNECT, "Example.COM:443")));
        assertEquals(new HostPort("::1", 8443), ForwardTarget.of(req(HttpMethod.CONNECT, "[::1]:8443")));
        assertNull(ForwardTarget.of(req(HttpMethod.CONNECT, "example.com")));
        assertNull(ForwardTarget.of(req(HttpMethod.CONNECT, "example.com:0")));
        assertNull(ForwardTarget.of(req(HttpMethod.CONNECT, "user@example.com:443")));
        assertEquals(new HostPort("example.com", 80), ForwardTarget.of(req(HttpMethod.GET, "http://example.com/a?b")));
        assertEquals(new HostPort("example.com", 80), ForwardTarget.of(req(HttpMethod.GET, "http://example.com?b")));
        assertEquals(new HostPort("example.com", 8080), ForwardTarget.of(req(HttpMethod.GET, "http://example.com:8080")));
        assertEquals(new HostPort("::1", 80), ForwardTarget.of(req(HttpMethod.GET, "http://[::1]/")));
        assertNull(ForwardTarget.of(req(HttpMethod.GET, "/a")));
        assertNull(ForwardTarget.of(req(HttpMethod.GET, "https://example.com/")));
    }

    private static DefaultHttpRequest req(HttpMethod m, String uri) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, m, uri);
    }
}
