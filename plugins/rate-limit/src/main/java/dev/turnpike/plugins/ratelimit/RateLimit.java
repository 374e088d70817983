package dev.turnpike.plugins.ratelimit;

import dev.turnpike.api.Headers;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.ResponseHead;
import dev.turnpike.api.Session;
import dev.turnpike.api.metrics.Counter;
import dev.turnpike.api.metrics.Gauge;
import dev.turnpike.api.metrics.PluginMetrics;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.pf4j.Extension;
import org.slf4j.LoggerFactory;

/**
 * {@code request_filter}: rate limiting per client address, per request header or per address and
 * path prefix, as a token bucket or an exact sliding window. A request over the limit is answered
 * {@code 429 Too Many Requests} from memory (nothing goes upstream) with {@code Retry-After} and
 * the {@code RateLimit-*} / {@code X-RateLimit-*} headers; with {@code headers: true} the allowed
 * responses carry the same numbers (added in {@code response_filter}).
 *
 * <p>Configuration: see {@link Settings} and the module's README.
 *
 * <h2>Threads</h2>
 * {@link #requestFilter} runs on every event loop at once. The per-key state lives in a
 * {@link KeyTable}: a segmented map whose segment locks are held for a few arithmetic operations,
 * so counts are exact under any concurrency and there is no global lock. Nothing on the request
 * path blocks or does I/O but the (rate-limited) WARN line. {@link #start} starts one daemon thread
 * that sweeps idle keys and refreshes the key gauge once a second; {@link #stop} ends it, so no
 * thread keeps the plugin's class loader alive.
 *
 * <h2>store: redis</h2>
 * The counts live in Redis, shared by every proxy that uses it ({@link RemoteLimiter}):
 * {@link #requestFilter} returns {@link Outcome#later} at once, completed on the request's event
 * loop by the script's reply or by {@code on_error} after {@code timeout}; it never waits. With
 * {@code sync_interval} most requests are decided locally at once ({@link SyncedCounts}). The
 * client ({@link RedisLink}: Lettuce, shaded into this jar) is made in {@link #start}, which waits
 * up to {@value #FIRST_CONNECTION_WAIT_SECONDS} s for its first connection, and closed by
 * {@link #stop} with all its threads.
 */
@Extension
public final class RateLimit implements ProxyPlugin<Decision> {

    static final String REJECTED_METRIC = "ratelimit_rejected_total";
    static final String KEYS_METRIC = "ratelimit_keys";
    static final String EVICTED_METRIC = "ratelimit_evicted_total";
    static final long SWEEP_PERIOD_MILLIS = 1000;
    /** How long start() waits for the first Redis connection (store: redis). */
    static final int FIRST_CONNECTION_WAIT_SECONDS = 2;
    static final java.time.Duration FIRST_CONNECTION_WAIT = java.time.Duration.ofSeconds(FIRST_CONNECTION_WAIT_SECONDS);

    /** Everything start() builds, published at once through one volatile write. */
    private static final class Engine {
        final Settings settings;
        final KeyTable<? extends KeyState> table;
        final KeyResolver resolver;
        final RejectionLog log;
        final Counter rejected;
        final Gauge keys;
        final Counter evicted;
        /** store: redis only. */
        final RemoteLimiter remote;
        final RedisLink link;

        Engine(Settings settings, KeyTable<? extends KeyState> table, KeyResolver resolver, RejectionLog log,
               Counter rejected, Gauge keys, Counter evicted, RemoteLimiter remote, RedisLink link) {
            this.settings = settings;
            this.table = table;
            this.resolver = resolver;
            this.log = log;
            this.rejected = rejected;
            this.keys = keys;
            this.evicted = evicted;
            this.remote = remote;
            this.link = link;
        }
    }

    private final Clock clock;
    private final RejectionLog.Sink warnSink;
    private final boolean sweepThread;
    private volatile Engine engine;
    private ScheduledExecutorService sweeper;
    /** The executor's one thread, joined by {@link #stop}: a terminated executor's thread may still be alive. */
    private volatile Thread sweeperThread;

    /** The plugin as the proxy loads it: system clock, SLF4J, a sweeper thread. */
    public RateLimit() {
        this(Clock.SYSTEM, LoggerFactory.getLogger(RateLimit.class)::warn, true);
    }

    /** For tests: a driven clock, a captured log, and (usually) no sweeper thread. */
    RateLimit(Clock clock, RejectionLog.Sink warnSink, boolean sweepThread) {
        this.clock = clock;
        this.warnSink = warnSink;
        this.sweepThread = sweepThread;
    }

    @Override
    public void start(PluginContext context) {
        Settings s = Settings.parse(context.config());
        PluginMetrics metrics = context.metrics();
        Counter rejected = metrics.counter(REJECTED_METRIC,
                "Requests a rate-limit plugin answered with 429, by limiter (the chain entry, or its name).", "limiter");
        Gauge keys = metrics.gauge(KEYS_METRIC,
                "Keys (clients, header values, ...) a rate-limit plugin is tracking, by limiter.", "limiter");
        Counter evicted = metrics.counter(EVICTED_METRIC,
                "Keys a rate-limit plugin forgot, by limiter and reason: idle (state back to new, harmless) "
                        + "or full (max_keys reached: the least recently used key was dropped).", "limiter", "reason");
        Policy<? extends KeyState> policy = s.policy();
        boolean shared = s.store == Settings.Store.REDIS;
        RejectionLog log = new RejectionLog(warnSink, clock, s.name, policy.describe() + (shared ? ", shared on Redis" : ""),
                !shared);
        Function<Decision, Outcome> verdict = d -> verdict(d, rejected, log, s.name);
        KeyTable<? extends KeyState> table;
        RemoteLimiter remote = null;
        RedisLink link = null;
        if (s.store == Settings.Store.REDIS) {
            RedisSettings r = s.redis;
            RemotePolicy remotePolicy = RemotePolicy.of(s);
            SyncedCounts synced = r.syncInterval == null ? null
                    : new SyncedCounts(clock, s.maxKeys, s.mode == Settings.Mode.TOKEN_BUCKET ? s.burst : s.maxRequests,
                            r.syncInterval.toNanos());
            table = synced == null ? null : synced.table();
            link = new RedisLink(r, s.name, warnSink);
            remote = new RemoteLimiter(link, remotePolicy, r, s.name, new RedisMetrics(metrics, s.name),
                    new FallbackLog(warnSink, clock, s.name, r), synced, verdict, clock);
            if (synced != null) {
                link.every(r.syncInterval, remote::flush);
            }
            // Start (a reload's new instance) waits a moment for its connection, so it does not
            // answer its first requests by on_error; Redis being down does not hold the start up longer.
            link.awaitFirstConnection(FIRST_CONNECTION_WAIT);
        } else {
            table = newTable(policy, s.maxKeys);
            warnIfLarge(s);
        }
        engine = new Engine(s, table, new KeyResolver(s), log, rejected, keys, evicted, remote, link);
        keys.set(0, s.name);
        if (sweepThread) {
            ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "turnpike-rate-limit-sweeper[" + s.name + "]");
                t.setDaemon(true);
                sweeperThread = t;
                return t;
            });
            ex.scheduleWithFixedDelay(this::sweepQuietly, SWEEP_PERIOD_MILLIS, SWEEP_PERIOD_MILLIS, TimeUnit.MILLISECONDS);
            sweeper = ex;
        }
    }

    private <S extends KeyState> KeyTable<S> newTable(Policy<S> policy, int maxKeys) {
        return new KeyTable<>(policy, clock, maxKeys);
    }

    private void warnIfLarge(Settings s) {
        long worst = s.worstCaseBytes();
        long heap = Runtime.getRuntime().maxMemory();
        if (heap != Long.MAX_VALUE && worst > heap / 2) {
            warnSink.warn("rate limit " + s.name + ": max_keys " + s.maxKeys + " may hold up to about "
                    + (worst >> 20) + " MiB of state, more than half the heap (" + (heap >> 20) + " MiB);"
                    + " lower max_keys (or max_requests) or give the proxy more heap");
        }
    }

    @Override
    public void stop() {
        Engine running = engine;
        if (running != null && running.link != null) {
            running.link.close();
        }
        ScheduledExecutorService ex = sweeper;
        sweeper = null;
        if (ex != null) {
            ex.shutdownNow();
            try {
                ex.awaitTermination(5, TimeUnit.SECONDS);
                // The pool reports "terminated" from inside the exiting worker, a moment before the
                // thread is gone; joining it is what lets the plugin's class loader go.
                Thread t = sweeperThread;
                if (t != null) {
                    t.join(TimeUnit.SECONDS.toMillis(5));
                    sweeperThread = null;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public Decision newContext(Session session) {
        Engine e = engine;
        return e != null && e.settings.headers ? new Decision() : null;
    }

    @Override
    public Outcome requestFilter(Session session, Decision ctx) {
        Engine e = engine;
        if (e == null) {
            return Outcome.proceed();
        }
        String key = e.resolver.keyFor(session);
        if (key == null) {
            return Outcome.proceed();
        }
        Decision d = ctx != null ? ctx : new Decision();
        if (e.remote != null) {
            return e.remote.acquire(key, d, session.executor());
        }
        e.table.acquire(key, d);
        return verdict(d, e.rejected, e.log, e.settings.name);
    }

    /** A decided request: proceed, or the 429 (counted, and logged when the decision says so). */
    private static Outcome verdict(Decision d, Counter rejected, RejectionLog log, String limiter) {
        if (d.allowed) {
            return Outcome.proceed();
        }
        rejected.inc(limiter);
        if (d.warn) {
            log.rejected(d);
        }
        return Outcome.respond(tooManyRequests(d));
    }

    @Override
    public Outcome responseFilter(Session session, Decision ctx) {
        if (ctx != null && ctx.applied) {
            ResponseHead response = session.response();
            if (response != null) {
                setLimitHeaders(response.headers(), ctx);
            }
        }
        return Outcome.proceed();
    }

    /** The 429: built per rejection, since its numbers are this key's. */
    static Response tooManyRequests(Decision d) {
        String limit = Long.toString(d.limit);
        String remaining = Long.toString(d.remaining);
        String reset = Long.toString(d.resetSeconds());
        return Response.status(429)
                .header("Retry-After", Long.toString(d.retryAfterSeconds()))
                .header("RateLimit-Limit", limit)
                .header("RateLimit-Remaining", remaining)
                .header("RateLimit-Reset", reset)
                .header("X-RateLimit-Limit", limit)
                .header("X-RateLimit-Remaining", remaining)
                .header("X-RateLimit-Reset", reset)
                .body("Too Many Requests\n")
                .build();
    }

    /** {@code headers: true}: the numbers as of the request's admission, replacing any the backend sent. */
    static void setLimitHeaders(Headers h, Decision d) {
        String limit = Long.toString(d.limit);
        String remaining = Long.toString(d.remaining);
        String reset = Long.toString(d.resetSeconds());
        h.set("RateLimit-Limit", limit);
        h.set("RateLimit-Remaining", remaining);
        h.set("RateLimit-Reset", reset);
        h.set("X-RateLimit-Limit", limit);
        h.set("X-RateLimit-Remaining", remaining);
        h.set("X-RateLimit-Reset", reset);
    }

    /**
     * One sweep: drops idle keys, counts evictions, refreshes the key gauge. The timer calls it once
     * a second; tests call it directly.
     */
    void sweep() {
        Engine e = engine;
        if (e == null) {
            return;
        }
        if (e.table == null) {
            return; // store: redis without sync_interval keeps no keys here
        }
        e.table.sweep();
        KeyTable.Evictions ev = e.table.drainEvictions();
        if (ev.full() > 0) {
            e.evicted.add(ev.full(), e.settings.name, "full");
        }
        if (ev.idle() > 0) {
            e.evicted.add(ev.idle(), e.settings.name, "idle");
        }
        e.keys.set(e.table.size(), e.settings.name);
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (RuntimeException | Error ex) {
            // A task that throws is never run again; the sweeps must go on. Nothing here is
            // expected to throw, so one line per failure is no flood.
            warnSink.warn("rate limit sweeper: " + ex);
        }
    }

    // ---- for tests ----

    KeyTable<? extends KeyState> table() {
        Engine e = engine;
        return e == null ? null : e.table;
    }

    Settings settings() {
        Engine e = engine;
        return e == null ? null : e.settings;
    }

    RemoteLimiter remote() {
        Engine e = engine;
        return e == null ? null : e.remote;
    }

    RedisLink link() {
        Engine e = engine;
        return e == null ? null : e.link;
    }

    /** Whether the sweeper thread is running. */
    boolean sweeperRunning() {
        ScheduledExecutorService ex = sweeper;
        return ex != null && !ex.isShutdown();
    }
}
