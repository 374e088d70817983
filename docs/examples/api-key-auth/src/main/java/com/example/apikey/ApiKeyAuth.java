package com.example.apikey;

import com.example.apikey.KeyStore.Verdict;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.metrics.Counter;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.pf4j.Extension;

/**
 * Lets a request through only with an API key that a key store accepts, asking the store without
 * blocking the event loop. A cached answer decides at once; otherwise {@code request_filter}
 * returns {@link Outcome#later} and the store's answer, arriving on one of the store's threads, is
 * handed back to the request's event loop ({@link Session#executor()}), where the decision is made.
 *
 * <pre>
 * - id: api-key-auth
 *   config:
 *     key_store_url: http://keys.internal:8081/check   # required; GET with the key in `header`
 *     header: X-Api-Key          # where clients send the key (default X-Api-Key)
 *     lookup_timeout: 2s         # the store's connect and answer timeout (default 2s)
 *     valid_ttl: 60s             # how long a valid key is remembered (default 60s; 0: never)
 *     invalid_ttl: 10s           # how long an invalid key is remembered (default 10s; 0: never)
 *     cache_size: 10000          # the most answers remembered (default 10000)
 *     public_paths: [/healthz]   # path prefixes served without a key (default none)
 * </pre>
 *
 * <p>No key: 401. A key the store refuses: 401. No answer from the store: 503 (the key may well be
 * valid: the client should retry, not get a new key). The key header is removed before the request
 * goes upstream, so backends never see credentials.
 */
@Extension
public class ApiKeyAuth implements ProxyPlugin<Void> {

    /** Builds the store from the config; a seam for tests, which give a store of their own. */
    interface StoreFactory {
        KeyStore open(URI url, String header, Duration timeout);
    }

    private static final Response MISSING = unauthorized("an API key is required");
    private static final Response REFUSED = unauthorized("the API key is not valid");
    private static final Response UNAVAILABLE = Response.status(503).header("Retry-After", "1")
            .body("the API key could not be checked; try again\n").build();

    private final StoreFactory stores;
    private final LongSupplier clock;

    // Written by start() on the management thread before any request, then only read.
    private volatile String header;
    private volatile List<String> publicPaths;
    private volatile KeyStore store;
    private volatile VerdictCache cache;
    private volatile Counter decisions;
    private volatile Counter cacheHits;

    /** The plugin as the runtime makes it: an HTTP key store, the system clock. */
    public ApiKeyAuth() {
        this(HttpKeyStore::new, System::nanoTime);
    }

    ApiKeyAuth(StoreFactory stores, LongSupplier clock) {
        this.stores = stores;
        this.clock = clock;
    }

    @Override
    public void start(PluginContext context) {
        ConfigSection c = context.config();
        URI url = storeUrl(c);
        header = c.string("header", "X-Api-Key");
        Duration timeout = c.duration("lookup_timeout", Duration.ofSeconds(2));
        if (timeout.isZero()) {
            throw c.invalid("lookup_timeout", "must be more than 0");
        }
        long validTtl = c.duration("valid_ttl", Duration.ofSeconds(60)).toNanos();
        long invalidTtl = c.duration("invalid_ttl", Duration.ofSeconds(10)).toNanos();
        int size = c.integer("cache_size", 10_000, 1, 10_000_000);
        publicPaths = c.strings("public_paths");
        for (int i = 0; i < publicPaths.size(); i++) {
            if (!publicPaths.get(i).startsWith("/")) {
                throw c.invalid("public_paths", "'" + publicPaths.get(i) + "' is not a path (it starts with /)");
            }
        }
        decisions = context.metrics().counter("api_key_requests_total",
                "Requests checked for an API key, by result.", "result");
        cacheHits = context.metrics().counter("api_key_cache_hits_total",
                "Key checks answered from the cache.");
        cache = new VerdictCache(validTtl, invalidTtl, size, clock);
        // Last: nothing above may fail once the store holds threads.
        store = stores.open(url, header, timeout);
    }

    private static URI storeUrl(ConfigSection c) {
        String raw = c.string("key_store_url");
        try {
            URI url = new URI(raw);
            if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme()) || url.getHost() == null) {
                throw c.invalid("key_store_url", "'" + raw + "' is not an http:// or https:// URL with a host");
            }
            return url;
        } catch (URISyntaxException e) {
            throw c.invalid("key_store_url", "'" + raw + "' is not a URL: " + e.getReason());
        }
    }

    @Override
    public void stop() {
        KeyStore s = store;
        if (s != null) {
            s.close();
        }
    }

    @Override
    public Outcome requestFilter(Session session, Void ctx) {
        if (isPublic(session.request().path())) {
            return Outcome.proceed();
        }
        String key = session.request().headers().get(header);
        if (key == null || key.isEmpty()) {
            decisions.inc("missing");
            return Outcome.respond(MISSING);
        }
        // The backend never needs the credential; removed now, while the client's head is editable.
        session.request().headers().remove(header);
        Verdict known = cache.cached(key);
        if (known != null) {
            cacheHits.inc();
            return decide(known);
        }
        CompletableFuture<Outcome> answer = cache.lookup(key, store)
                // handleAsync on the loop: the decision (and the metrics) run on the request's own
                // thread, whichever store thread completed the lookup.
                .handleAsync((verdict, failure) -> failure == null ? decide(verdict) : unavailable(), session.executor());
        return Outcome.later(answer);
    }

    private Outcome decide(Verdict verdict) {
        if (verdict == Verdict.VALID) {
            decisions.inc("valid");
            return Outcome.proceed();
        }
        decisions.inc("invalid");
        return Outcome.respond(REFUSED);
    }

    private Outcome unavailable() {
        decisions.inc("store_error");
        return Outcome.respond(UNAVAILABLE);
    }

    private boolean isPublic(String path) {
        for (String prefix : publicPaths) {
            if (path.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static Response unauthorized(String why) {
        return Response.status(401).header("WWW-Authenticate", "ApiKey").body(why + "\n").build();
    }
}
