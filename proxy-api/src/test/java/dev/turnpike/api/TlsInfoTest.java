package dev.turnpike.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TlsInfoTest {

    @Test
    void protocolAndCipherAreRequired() {
        assertThrows(NullPointerException.class, () -> new TlsInfo(null, "TLS_AES_128_GCM_SHA256", null, null, List.of()));
        assertThrows(NullPointerException.class, () -> new TlsInfo("TLSv1.3", null, null, null, List.of()));
    }

    @Test
    void theAlternativeNamesAreACopy() {
        List<String> sans = new ArrayList<>(List.of("alice@example.com"));
        TlsInfo info = new TlsInfo("TLSv1.3", "TLS_AES_128_GCM_SHA256", "a.test", "CN=alice", sans);
        sans.add("mallory.example.com");
        assertEquals(List.of("alice@example.com"), info.clientSans());
        assertThrows(UnsupportedOperationException.class, () -> info.clientSans().add("x"));
    }

    @Test
    void aClientCertificateIsThereWhenThereIsASubject() {
        assertTrue(new TlsInfo("TLSv1.3", "TLS_AES_128_GCM_SHA256", null, "CN=alice", List.of()).hasClientCertificate());
        assertFalse(new TlsInfo("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "a.test", null, List.of()).hasClientCertificate());
    }
}
