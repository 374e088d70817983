package dev.turnpike.plugins.loadbalancer;

import static dev.turnpike.plugins.loadbalancer.LbTestSupport.map;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.req;
import static dev.turnpike.plugins.loadbalancer.LbTestSupport.started;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which group a request goes to. Every group has one backend whose host names the group, so the
 * peer answered tells the group chosen.
 */
class RoutesTest {

    private static Map<String, Object> groups(String... names) {
        Map<String, Object> out = map();
        int port = 1;
        for (String n : names) {
            out.put(n, map("backends", List.of(n + ":" + port++)));
        }
        return out;
    }

    /** The group the request went to (its backend's host), or "proceed" when none answered. */
    private static String groupOf(LoadBalancer lb, Session s) {
        Outcome o = lb.upstreamPeer(s, lb.newContext(s));
        if (o.kind() == Outcome.Kind.PROCEED) {
            return "proceed";
        }
        assertEquals(Outcome.Kind.UPSTREAM, o.kind(), o::toString);
        return o.peer().host();
    }

    private static String groupFor(LoadBalancer lb, String host, String path) {
        return groupOf(lb, req().host(host).path(path).build());
    }

    @Test
    void matchesTheHostExactlyCaseInsensitivelyWithoutPort() {
        LoadBalancer lb = started(map(
                "groups", groups("api", "web"),
                "routes", List.of(map("host", "api.example.com", "group", "api")),
                "default_group", "web"));
        assertEquals("api", groupFor(lb, "api.example.com", "/"));
        assertEquals("api", groupFor(lb, "API.Example.COM", "/x"));
        assertEquals("api", groupFor(lb, "api.example.com:8443", "/"));
        assertEquals("web", groupFor(lb, "www.example.com", "/"));
        assertEquals("web", groupFor(lb, "x.api.example.com", "/"), "an exact host matches no subdomain");
        assertEquals("web", groupFor(lb, "api.example.com.evil", "/"));
    }

    @Test
    void routeHostIsNormalised() {
        LoadBalancer lb = started(map(
                "groups", groups("api", "web"),
                "routes", List.of(map("host", " API.Example.com ", "group", "api")),
                "default_group", "web"));
        assertEquals("api", groupFor(lb, "api.example.com", "/"));
    }

    @Test
    void wildcardMatchesSubdomainsOnly() {
        LoadBalancer lb = started(map(
                "groups", groups("tenants", "web"),
                "routes", List.of(map("host", "*.example.com", "group", "tenants")),
                "default_group", "web"));
        assertEquals("tenants", groupFor(lb, "a.example.com", "/"));
        assertEquals("tenants", groupFor(lb, "x.y.example.com", "/"));
        assertEquals("tenants", groupFor(lb, "A.EXAMPLE.COM:8080", "/"));
        assertEquals("web", groupFor(lb, "example.com", "/"), "the bare domain is not a subdomain");
        assertEquals("web", groupFor(lb, "badexample.com", "/"));
        assertEquals("web", groupFor(lb, "a.example.com.org", "/"));
    }

    @Test
    void pathPrefixMatchesWholeSegments() {
        LoadBalancer lb = started(map(
                "groups", groups("api", "web"),
                "routes", List.of(map("path_prefix", "/api", "group", "api")),
                "default_group", "web"));
        assertEquals("api", groupFor(lb, "h", "/api"));
        assertEquals("api", groupFor(lb, "h", "/api/"));
        assertEquals("api", groupFor(lb, "h", "/api/v1/users"));
        assertEquals("web", groupFor(lb, "h", "/apis"));
        assertEquals("web", groupFor(lb, "h", "/apiv2/x"));
        assertEquals("web", groupFor(lb, "h", "/ap"));
        assertEquals("web", groupFor(lb, "h", "/"));
        assertEquals("web", groupFor(lb, "h", "/v1/api"));
    }

    @Test
    void pathPrefixEndingInSlash() {
        LoadBalancer lb = started(map(
                "groups", groups("static", "web"),
                "routes", List.of(map("path_prefix", "/static/", "group", "static")),
                "default_group", "web"));
        assertEquals("static", groupFor(lb, "h", "/static/app.js"));
        assertEquals("static", groupFor(lb, "h", "/static/"));
        assertEquals("web", groupFor(lb, "h", "/staticx/app.js"));
    }

    @Test
    void hostAndPathMustBothMatch() {
        LoadBalancer lb = started(map(
                "groups", groups("api", "web"),
                "routes", List.of(map("host", "api.example.com", "path_prefix", "/v1", "group", "api")),
                "default_group", "web"));
        assertEquals("api", groupFor(lb, "api.example.com", "/v1/x"));
        assertEquals("web", groupFor(lb, "api.example.com", "/v2/x"));
        assertEquals("web", groupFor(lb, "www.example.com", "/v1/x"));
    }

    @Test
    void firstMatchingRouteWins() {
        LoadBalancer lb = started(map(
                "groups", groups("admin", "api", "web"),
                "routes", List.of(
                        map("path_prefix", "/api/admin", "group", "admin"),
                        map("path_prefix", "/api", "group", "api"),
                        map("path_prefix", "/api/admin/special", "group", "web")),
                "default_group", "web"));
        assertEquals("admin", groupFor(lb, "h", "/api/admin/special"));
        assertEquals("api", groupFor(lb, "h", "/api/other"));
    }

    @Test
    void aRequestWithoutHostMatchesNoHostRoute() {
        LoadBalancer lb = started(map(
                "groups", groups("api", "web"),
                "routes", List.of(map("host", "api.example.com", "group", "api")),
                "default_group", "web"));
        assertEquals("web", groupFor(lb, null, "/"));
    }

    @Test
    void unmatchedRequestIsLeftToTheNextPluginWithoutDefaultGroup() {
        LoadBalancer lb = started(map(
                "groups", groups("api", "web"),
                "routes", List.of(map("path_prefix", "/api", "group", "api"), map("path_prefix", "/web", "group", "web"))));
        assertEquals("api", groupFor(lb, "h", "/api"));
        assertEquals("web", groupFor(lb, "h", "/web/x"));
        assertEquals("proceed", groupFor(lb, "h", "/other"));
    }

    @Test
    void aSingleGroupIsTheDefaultWithoutDefaultGroup() {
        LoadBalancer lb = started(map("groups", groups("only")));
        assertEquals("only", groupFor(lb, "anything", "/any"));
        lb = started(map("groups", groups("only"), "routes", List.of(map("host", "a.example", "group", "only"))));
        assertEquals("only", groupFor(lb, "b.example", "/"));
    }

    @Test
    void aRetryStaysInTheRequestsGroup() {
        LoadBalancer lb = started(map(
                "groups", map(
                        "api", map("backends", List.of("api1:1", "api2:2")),
                        "web", map("backends", List.of("web1:3", "web2:4"))),
                "routes", List.of(map("path_prefix", "/api", "group", "api")),
                "default_group", "web"));
        Session s = req().path("/api/x").build();
        Attempts a = lb.newContext(s);
        Outcome first = lb.upstreamPeer(s, a);
        assertEquals(true, lb.failToConnect(s, a,
                new UpstreamFailure(first.peer(), ProxyError.of(ErrorKind.CONNECT_REFUSED, "connect", null), 1, null)));
        // The session now reads as another path: the retry still belongs to the first group.
        Session later = req().path("/web").build();
        Outcome second = lb.upstreamPeer(later, a);
        assertEquals(List.of("api1:1", "api2:2"),
                List.of(first.peer().address(), second.peer().address()).stream().sorted().toList());
    }
}
