package dev.turnpike.plugins.headerinjection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.Peer;
import dev.turnpike.api.Session;
import dev.turnpike.api.TlsInfo;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.testkit.phases.FakeSession;
import java.util.List;
import org.junit.jupiter.api.Test;

class TemplateTest {

    private static final String KEY = "plugins.chain[0].config.request.set.X-Test";

    private final Session session = session(false);

    private static FakeSession session(boolean tls) {
        return FakeSession.get("/").requestId("r-42").peer(Peer.of("10.1.1.1", 8080))
                .tls(tls ? new TlsInfo("TLSv1.3", "TLS_AES_128_GCM_SHA256", null, null, List.of()) : null);
    }

    private String expand(String text) {
        return Template.parse(text, KEY).expand(session, "203.0.113.7", "example.com");
    }

    @Test
    void aValueWithoutVariablesIsReturnedAsTheSameString() {
        Template t = Template.parse("turnpike", KEY);
        assertTrue(t.isConstant());
        assertEquals(0, t.needs());
        String first = t.expand(session, null, null);
        assertEquals("turnpike", first);
        assertSame(first, t.expand(session, null, null), "no new string per request");
    }

    @Test
    void expandsEachVariable() {
        assertEquals("203.0.113.7", expand("$client_ip"));
        assertEquals("10.1.1.1:8080", expand("$backend"));
        assertEquals("r-42", expand("$request_id"));
        assertEquals("example.com", expand("$host"));
        assertEquals("http", expand("$scheme"));
        assertEquals("https", Template.parse("$scheme", KEY).expand(session(true), null, null));
    }

    @Test
    void mixesLiteralsAndVariables() {
        assertEquals("via 10.1.1.1:8080 for 203.0.113.7 (r-42)", expand("via $backend for $client_ip ($request_id)"));
        assertEquals("http://example.com/", expand("$scheme://$host/"));
    }

    @Test
    void aNameEndsAtTheFirstCharacterThatIsNotALetterDigitOrUnderscore() {
        assertEquals("example.com-x", expand("$host-x"));
        assertEquals("example.com.suffix", expand("$host.suffix"));
    }

    @Test
    void bracesSeparateANameFromWhatFollows() {
        assertEquals("example.comname", expand("${host}name"));
        assertEquals("r-42_1", expand("${request_id}_1"));
    }

    @Test
    void doubleDollarIsALiteralDollar() {
        assertEquals("$host", expand("$$host"));
        assertEquals("price: $$", Template.parse("price: $$$$", KEY).expand(session, null, null));
    }

    @Test
    void aDollarNotFollowedByANameIsLiteral() {
        assertEquals("costs $5", expand("costs $5"));
        assertEquals("a $ b", expand("a $ b"));
        assertEquals("end$", expand("end$"));
        assertTrue(Template.parse("costs $5", KEY).isConstant());
    }

    @Test
    void anEmptyValueIsAllowed() {
        assertEquals("", expand(""));
    }

    @Test
    void missingValuesExpandToEmptyText() {
        Session noPeer = FakeSession.get("/");
        assertEquals("[][]", Template.parse("[$host][$backend]", KEY).expand(noPeer, null, null));
    }

    @Test
    void recordsWhichVariablesItNeeds() {
        Template t = Template.parse("$client_ip ${host}", KEY);
        assertTrue(t.uses(Variable.CLIENT_IP));
        assertTrue(t.uses(Variable.HOST));
        assertFalse(t.uses(Variable.BACKEND));
        assertFalse(t.isConstant());
    }

    @Test
    void refusesAnUnknownVariableNamingKeyAndVariable() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> Template.parse("x $hostname y", KEY));
        assertEquals(KEY, e.key());
        assertTrue(e.reason().contains("unknown variable $hostname"), e.reason());
        assertTrue(e.reason().contains("$client_ip"), "lists the known ones: " + e.reason());
    }

    @Test
    void refusesAnUnknownVariableInBraces() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> Template.parse("${nope}", KEY));
        assertTrue(e.reason().contains("unknown variable $nope"), e.reason());
    }

    @Test
    void variableNamesAreCaseSensitive() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> Template.parse("$Host", KEY));
        assertTrue(e.reason().contains("$Host"), e.reason());
    }

    @Test
    void refusesAnUnclosedBrace() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> Template.parse("a ${host", KEY));
        assertEquals(KEY, e.key());
        assertTrue(e.reason().contains("no closing '}'"), e.reason());
    }

    @Test
    void refusesEmptyBraces() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> Template.parse("${}", KEY));
        assertTrue(e.reason().contains("unknown variable $"), e.reason());
    }

    // ---- TLS variables ----

    private static Session tlsSession(TlsInfo info) {
        return session(false).tls(info);
    }

    private static String expand(String text, Session s) {
        return Template.parse(text, KEY).expand(s, "203.0.113.7", "example.com");
    }

    @Test
    void expandsTheTlsVariablesFromTheSession() {
        Session s = tlsSession(new TlsInfo("TLSv1.3", "TLS_AES_128_GCM_SHA256", "a.example.com", "CN=alice,O=Example",
                List.of("alice@example.com")));
        assertEquals("TLSv1.3", expand("$tls_protocol", s));
        assertEquals("TLS_AES_128_GCM_SHA256", expand("$tls_cipher", s));
        assertEquals("a.example.com", expand("$tls_server_name", s));
        assertEquals("CN=alice,O=Example", expand("$tls_client_subject", s));
        assertEquals("https", expand("$scheme", s));
        assertEquals("TLSv1.3/TLS_AES_128_GCM_SHA256 for a.example.com",
                expand("${tls_protocol}/${tls_cipher} for $tls_server_name", s));
    }

    @Test
    void tlsVariablesWithoutASniNameOrClientCertificateAreEmpty() {
        Session s = tlsSession(new TlsInfo("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", null, null, List.of()));
        assertEquals("TLSv1.2", expand("$tls_protocol", s));
        assertEquals("[][]", expand("[$tls_server_name][$tls_client_subject]", s));
    }

    @Test
    void tlsVariablesAreEmptyForCleartext() {
        Session s = tlsSession(null);
        assertEquals("[][][][]", expand("[$tls_protocol][$tls_cipher][$tls_server_name][$tls_client_subject]", s));
        assertEquals("", expand("$tls_client_subject", s));
        assertEquals("http", expand("$scheme", s));
    }

    @Test
    void tlsVariablesAreKnownAndRecorded() {
        Template t = Template.parse("$tls_protocol ${tls_cipher} $tls_server_name $tls_client_subject", KEY);
        assertTrue(t.uses(Variable.TLS_PROTOCOL));
        assertTrue(t.uses(Variable.TLS_CIPHER));
        assertTrue(t.uses(Variable.TLS_SERVER_NAME));
        assertTrue(t.uses(Variable.TLS_CLIENT_SUBJECT));
        assertFalse(t.uses(Variable.CLIENT_IP));
        assertFalse(t.uses(Variable.HOST));
        assertSame(Variable.TLS_CLIENT_SUBJECT, Variable.byName("tls_client_subject"));
        for (String name : new String[] {"$tls_protocol", "$tls_cipher", "$tls_server_name", "$tls_client_subject"}) {
            assertTrue(Variable.known().contains(name), Variable.known());
        }
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> Template.parse("$tls_version", KEY));
        assertTrue(e.reason().contains("unknown variable $tls_version"), e.reason());
        assertTrue(e.reason().contains("$tls_client_subject"), e.reason());
    }
}
