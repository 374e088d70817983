package dev.turnpike.plugins.ratelimit;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.Session;
import dev.turnpike.testkit.phases.FakeMetrics;
import dev.turnpike.testkit.phases.FakePluginContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Plugin instances with store: redis, each standing for one proxy of a fleet: its own metrics,
 * captured log, and a real event loop; {@link #decide} runs a request's {@code request_filter} on
 * that loop and waits for the decision, timing it from the call to the stage's completion (both on
 * the loop). {@link #close} stops the instances and the loops.
 */
final class RedisFleet implements AutoCloseable {

    /**
     * One decision and how long the plugin took to make it (call to completion, on the loop), and
     * how late a probe timer of the same delay, scheduled on the same loop at the same moment,
     * fired ({@code 0} when none was asked for): the loop's and the OS's own lag, which the plugin
     * cannot beat.
     */
    record Result(Outcome outcome, long nanos, boolean async, long probeLateNanos) {
        boolean allowed() {
            return outcome.kind() == Outcome.Kind.PROCEED;
        }

        int status() {
            return outcome.kind() == Outcome.Kind.RESPOND ? outcome.response().status() : 200;
        }
    }

    /** One proxy: the plugin, its loop and what it recorded. */
    static final class Member {
        final RateLimit plugin;
        final RealLoop loop = new RealLoop();
        final FakeMetrics metrics = new FakeMetrics();
        final List<String> warnings = Collections.synchronizedList(new ArrayList<>());

        Member(Map<String, Object> config) {
            plugin = new RateLimit(Clock.SYSTEM, warnings::add, false);
            Limiters.context(config).metrics(metrics).start(plugin);
        }

        Result decide(String ip) throws Exception {
            return decide(ip, 0);
        }

        /** With a probe timer of {@code probeMillis} (0: none) beside the plugin's own. */
        Result decide(String ip, long probeMillis) throws Exception {
            Session s = LoopSession.from(ip, loop);
            CompletableFuture<Result> done = new CompletableFuture<>();
            CompletableFuture<Long> probe = new CompletableFuture<>();
            loop.execute(() -> {
                long t0 = System.nanoTime();
                if (probeMillis > 0) {
                    long due = t0 + TimeUnit.MILLISECONDS.toNanos(probeMillis);
                    loop.schedule(() -> probe.complete(Math.max(0, System.nanoTime() - due)), probeMillis, TimeUnit.MILLISECONDS);
                } else {
                    probe.complete(0L);
                }
                Decision ctx = plugin.newContext(s);
                Outcome o = plugin.requestFilter(s, ctx);
                if (o.kind() != Outcome.Kind.LATER) {
                    done.complete(new Result(o, System.nanoTime() - t0, false, 0));
                    return;
                }
                o.stage().whenComplete((later, ex) -> {
                    if (ex != null) {
                        done.completeExceptionally(ex);
                    } else {
                        done.complete(new Result(later, System.nanoTime() - t0, true, 0));
                    }
                });
            });
            Result r = done.get(10, TimeUnit.SECONDS);
            long late = probe.get(10, TimeUnit.SECONDS);
            return new Result(r.outcome(), r.nanos(), r.async(), late);
        }

        /** Waits (with a deadline) until the instance has connected to Redis. */
        Member awaitConnected() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!plugin.link().connectedOnce()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("not connected to Redis within 10 s: " + warnings);
                }
                Thread.sleep(5);
            }
            return this;
        }

        double metric(String name, String... labels) {
            Double v = metrics.find(name, labels);
            return v == null ? 0 : v;
        }
    }

    final List<Member> members = new ArrayList<>();

    /** Starts {@code n} instances on the same config. */
    RedisFleet(int n, Map<String, Object> config) {
        for (int i = 0; i < n; i++) {
            members.add(new Member(config));
        }
    }

    Member get(int i) {
        return members.get(i);
    }

    /**
     * A config mapping: {@code store: redis}, name {@code t}, the {@code redis} section from
     * {@code redis} (key, value, ...), and the limiter's own keys.
     */
    static Map<String, Object> config(List<Object> redis, Object... limiter) {
        Map<String, Object> c = new LinkedHashMap<>(FakePluginContext.mapping(limiter));
        c.put("store", "redis");
        c.put("name", "t");
        c.put("redis", FakePluginContext.mapping(redis.toArray()));
        return c;
    }

    @Override
    public void close() throws Exception {
        for (Member m : members) {
            m.plugin.stop();
            m.loop.close();
        }
    }
}
