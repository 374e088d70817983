package com.example.apikey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.example.apikey.KeyStore.Verdict;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP store against a real key service on 127.0.0.1: keys in a header, statuses as verdicts. */
class HttpKeyStoreTest {

    private static final Map<String, Integer> STATUS_BY_KEY = Map.of("good", 204, "bad", 404, "broken", 500);

    private final ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
    private HttpServer service;
    private HttpKeyStore store;

    @BeforeEach
    void startService() throws Exception {
        service = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        service.createContext("/check", exchange -> {
            String key = exchange.getRequestHeaders().getFirst("X-Api-Key");
            seen.add(exchange.getRequestURI() + " " + key);
            exchange.sendResponseHeaders(STATUS_BY_KEY.getOrDefault(key, 404), -1);
            exchange.close();
        });
        service.start();
        URI url = URI.create("http://127.0.0.1:" + service.getAddress().getPort() + "/check");
        store = new HttpKeyStore(url, "X-Api-Key", Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        store.close();
        service.stop(0);
    }

    @Test
    void statusesBecomeVerdictsAndTheKeyTravelsInAHeader() throws Exception {
        assertEquals(Verdict.VALID, store.lookup("good").get(10, TimeUnit.SECONDS));
        assertEquals(Verdict.INVALID, store.lookup("bad").get(10, TimeUnit.SECONDS));
        assertEquals("/check good", seen.peek());
    }

    @Test
    void aServerErrorIsNoVerdict() {
        ExecutionException e = assertThrows(ExecutionException.class, () -> store.lookup("broken").get(10, TimeUnit.SECONDS));
        assertEquals("key store answered 500", e.getCause().getMessage());
    }

    @Test
    void closeEndsTheStoresThreads() throws Exception {
        store.lookup("good").get(10, TimeUnit.SECONDS);
        assertFalse(store.awaitClosed(Duration.ZERO));
        store.close();
        assertTrue(store.awaitClosed(Duration.ofSeconds(10)));
    }
}
