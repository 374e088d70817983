package dev.turnpike.plugins.proxyauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.spy;
import static org.mockito.Mockito.verify;

import dev.turnpike.api.HostPort;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.testkit.phases.FakePluginContext;
import dev.turnpike.testkit.phases.FakeSession;
import dev.turnpike.testkit.phases.Phase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyAuthTest {

    @TempDir
    Path dir;

    private Path users;

    /** A users-file line for {@code user} and {@code password} with {@code salt}. */
    static String line(String user, String saltHex, String password) {
        byte[] salt = HexFormat.of().parseHex(saltHex);
        return user + ":sha256:" + saltHex + ":" + HexFormat.of().formatHex(Users.hash(salt, password));
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @BeforeEach
    void file() throws Exception {
        users = dir.resolve("proxy-users");
        Files.write(users, List.of("# comment", "", line("alice", "00112233aabbccdd", "wonder land"),
                line("bob", "ff", "pässwörd:with:colons")));
    }

    /** Started as the runtime starts it, with {@code users_file} and these keys. */
    private ProxyAuth plugin(Map<String, Object> extra) {
        Map<String, Object> config = new java.util.HashMap<>(Map.of("users_file", users.toString()));
        config.putAll(extra);
        return new FakePluginContext(config).pluginId("proxy-auth").start(new ProxyAuth());
    }

    /** A request (forward when {@code forward} is set) with one Proxy-Authorization line per value, and a Host. */
    private static FakeSession session(HostPort forward, List<String> authorization) {
        FakeSession s = FakeSession.get("/").forwardTarget(forward).header("Host", "example.com");
        authorization.forEach(a -> s.header(ProxyAuth.HEADER, a));
        s.enter(Phase.REQUEST_FILTER);
        return s;
    }

    private static final HostPort TARGET = new HostPort("example.com", 443);

    @Test
    void noCredentialsGet407WithTheRealm() throws Exception {
        FakeSession s = session(TARGET, List.of());
        Outcome o = plugin(Map.of("realm", "corp")).requestFilter(s, null);
        assertEquals(Outcome.Kind.RESPOND, o.kind());
        assertEquals(407, o.response().status());
        assertTrue(o.response().headers().contains(Map.entry("Proxy-Authenticate", "Basic realm=\"corp\"")),
                o.response().headers().toString());
        assertEquals("[Host=example.com]", s.request().headers().toString(), "nothing removed");
    }

    @Test
    void theDefaultRealmIsTurnpike() throws Exception {
        Outcome o = plugin(Map.of()).requestFilter(session(TARGET, List.of()), null);
        assertTrue(o.response().headers().contains(Map.entry("Proxy-Authenticate", "Basic realm=\"turnpike\"")));
    }

    @Test
    void rightCredentialsPassAndTheHeaderIsRemoved() throws Exception {
        FakeSession s = session(TARGET, List.of(basic("alice", "wonder land")));
        Outcome o = plugin(Map.of()).requestFilter(s, null);
        assertEquals(Outcome.Kind.PROCEED, o.kind());
        assertFalse(s.request().headers().contains(ProxyAuth.HEADER));
        assertEquals("example.com", s.request().headers().get("Host"), "the other headers stay");
        FakeSession s2 = session(TARGET, List.of(basic("bob", "pässwörd:with:colons")));
        assertEquals(Outcome.Kind.PROCEED, plugin(Map.of()).requestFilter(s2, null).kind());
        assertFalse(s2.request().headers().contains(ProxyAuth.HEADER));
    }

    @Test
    void wrongCredentialsGet407() throws Exception {
        ProxyAuth p = plugin(Map.of());
        for (String bad : List.of(basic("alice", "wonder"), basic("alice", "wonder land "), basic("carol", "wonder land"),
                basic("", "wonder land"), "Bearer abc", "Basic", "Basic !!!notbase64", "Digest username=\"alice\"")) {
            FakeSession s = session(TARGET, List.of(bad));
            Outcome o = p.requestFilter(s, null);
            assertEquals(407, o.response().status(), bad);
            assertEquals(List.of(bad), s.request().headers().getAll(ProxyAuth.HEADER), "nothing removed");
            assertEquals(2, s.request().headers().size());
        }
        Outcome twice = p.requestFilter(session(TARGET, List.of(basic("alice", "wonder land"), basic("alice", "wonder land"))),
                null);
        assertEquals(407, twice.response().status());
    }

    @Test
    void theSchemeIsCaseInsensitive() throws Exception {
        assertTrue(plugin(Map.of()).valid("basic " + basic("alice", "wonder land").substring(6)));
    }

    @Test
    void ordinaryRequestsPassByDefaultAndAreCheckedWithForwardOnlyFalse() throws Exception {
        Session ordinary = spy(session(null, List.of()));
        assertEquals(Outcome.Kind.PROCEED, plugin(Map.of()).requestFilter(ordinary, null).kind());
        verify(ordinary, never()).request(); // its headers are not even read
        assertEquals(407, plugin(Map.of("forward_only", false)).requestFilter(session(null, List.of()), null)
                .response().status());
    }

    @Test
    void configurationIsChecked() throws Exception {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> new FakePluginContext().path("c")
                .start(new ProxyAuth()));
        assertEquals("c.users_file", e.key());
        e = assertThrows(InvalidConfigException.class, () -> plugin(Map.of("realm", "a\"b")));
        assertEquals("plugins.chain[0].config.realm", e.key());
        e = assertThrows(InvalidConfigException.class, () -> plugin(Map.of("relm", "x")));
        assertEquals("plugins.chain[0].config.relm", e.key());
        Files.write(users, List.of("alice:md5:00:11"));
        e = assertThrows(InvalidConfigException.class, () -> plugin(Map.of()));
        assertTrue(e.reason().contains("line 1: unknown scheme 'md5'"), e.reason());
        Files.delete(users);
        e = assertThrows(InvalidConfigException.class, () -> plugin(Map.of()));
        assertTrue(e.reason().startsWith("cannot read"), e.reason());
    }

    @Test
    void usersFileLines() {
        assertEquals(1, Users.parse(List.of(line("a", "01", "p"))).size());
        assertThrows(IllegalArgumentException.class, () -> Users.parse(List.of("a:sha256:01")));
        assertThrows(IllegalArgumentException.class, () -> Users.parse(List.of("a:sha256:zz:" + "00".repeat(32))));
        assertThrows(IllegalArgumentException.class, () -> Users.parse(List.of("a:sha256::" + "00".repeat(32))));
        assertThrows(IllegalArgumentException.class, () -> Users.parse(List.of("a:sha256:01:" + "00".repeat(31))));
        assertThrows(IllegalArgumentException.class, () -> Users.parse(List.of(line("a", "01", "p"), line("a", "02", "q"))));
        Users u = Users.parse(List.of(line("a", "01", "p")));
        assertTrue(u.verify("a", "p"));
        assertFalse(u.verify("a", "q"));
        assertFalse(u.verify("b", "p"));
        assertNull(null);
    }
}
