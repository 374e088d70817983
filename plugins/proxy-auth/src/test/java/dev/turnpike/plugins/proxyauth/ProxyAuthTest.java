package dev.turnpike.plugins.proxyauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.turnpike.api.Headers;
import dev.turnpike.api.HostPort;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.RequestHead;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
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

    private ProxyAuth plugin(Map<String, Object> extra) throws Exception {
        ProxyAuth p = new ProxyAuth();
        Map<String, Object> config = new java.util.HashMap<>(Map.of("users_file", users.toString()));
        config.putAll(extra);
        p.configure(ConfigSection.of("plugins.chain[0].config", config));
        return p;
    }

    private static Session session(HostPort forward, List<String> authorization, Headers headers) {
        Session s = mock(Session.class);
        RequestHead r = mock(RequestHead.class);
        when(s.forwardTarget()).thenReturn(forward);
        when(s.request()).thenReturn(r);
        when(r.headers()).thenReturn(headers);
        when(headers.getAll(ProxyAuth.HEADER)).thenReturn(authorization);
        return s;
    }

    private static final HostPort TARGET = new HostPort("example.com", 443);

    @Test
    void noCredentialsGet407WithTheRealm() throws Exception {
        Headers h = mock(Headers.class);
        Outcome o = plugin(Map.of("realm", "corp")).requestFilter(session(TARGET, List.of(), h), null);
        assertEquals(Outcome.Kind.RESPOND, o.kind());
        assertEquals(407, o.response().status());
        assertTrue(o.response().headers().contains(Map.entry("Proxy-Authenticate", "Basic realm=\"corp\"")),
                o.response().headers().toString());
        verify(h, never()).remove(anyString());
    }

    @Test
    void theDefaultRealmIsTurnpike() throws Exception {
        Outcome o = plugin(Map.of()).requestFilter(session(TARGET, List.of(), mock(Headers.class)), null);
        assertTrue(o.response().headers().contains(Map.entry("Proxy-Authenticate", "Basic realm=\"turnpike\"")));
    }

    @Test
    void rightCredentialsPassAndTheHeaderIsRemoved() throws Exception {
        Headers h = mock(Headers.class);
        Outcome o = plugin(Map.of()).requestFilter(session(TARGET, List.of(basic("alice", "wonder land")), h), null);
        assertEquals(Outcome.Kind.PROCEED, o.kind());
        verify(h).remove(ProxyAuth.HEADER);
        Headers h2 = mock(Headers.class);
        assertEquals(Outcome.Kind.PROCEED,
                plugin(Map.of()).requestFilter(session(TARGET, List.of(basic("bob", "pässwörd:with:colons")), h2), null).kind());
        verify(h2).remove(ProxyAuth.HEADER);
    }

    @Test
    void wrongCredentialsGet407() throws Exception {
        ProxyAuth p = plugin(Map.of());
        for (String bad : List.of(basic("alice", "wonder"), basic("alice", "wonder land "), basic("carol", "wonder land"),
                basic("", "wonder land"), "Bearer abc", "Basic", "Basic !!!notbase64", "Digest username=\"alice\"")) {
            Headers h = mock(Headers.class);
            Outcome o = p.requestFilter(session(TARGET, List.of(bad), h), null);
            assertEquals(407, o.response().status(), bad);
            verify(h, never()).remove(anyString());
        }
        Outcome twice = p.requestFilter(session(TARGET, List.of(basic("alice", "wonder land"), basic("alice", "wonder land")),
                mock(Headers.class)), null);
        assertEquals(407, twice.response().status());
    }

    @Test
    void theSchemeIsCaseInsensitive() throws Exception {
        assertTrue(plugin(Map.of()).valid("basic " + basic("alice", "wonder land").substring(6)));
    }

    @Test
    void ordinaryRequestsPassByDefaultAndAreCheckedWithForwardOnlyFalse() throws Exception {
        Headers h = mock(Headers.class);
        Session ordinary = session(null, List.of(), h);
        assertEquals(Outcome.Kind.PROCEED, plugin(Map.of()).requestFilter(ordinary, null).kind());
        verify(h, never()).getAll(anyString());
        assertEquals(407, plugin(Map.of("forward_only", false)).requestFilter(session(null, List.of(), mock(Headers.class)), null)
                .response().status());
    }

    @Test
    void configurationIsChecked() throws Exception {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> new ProxyAuth()
                .configure(ConfigSection.of("c", Map.of())));
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
