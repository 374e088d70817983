package com.example.apikey;

import java.util.concurrent.CompletableFuture;

/**
 * Where API keys are checked: a service, a database, a vault. The plugin asks it from the event
 * loop, so {@link #lookup} must return at once and answer later, on a thread of the store's own.
 */
interface KeyStore {

    /** The store's answer for one key: a definite answer, cached by the plugin. */
    enum Verdict { VALID, INVALID }

    /**
     * Starts checking {@code key} and returns without waiting. The future completes with the
     * verdict, or exceptionally when the store could not answer (unreachable, timed out, a 5xx):
     * the plugin then refuses the request with 503 and caches nothing. Called on an event loop:
     * must not block, not even to resolve a name or open a connection.
     */
    CompletableFuture<Verdict> lookup(String key);

    /** Ends the store's threads and connections; called from the plugin's {@code stop}. */
    void close();
}
