package dev.turnpike.plugins.loadbalancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.turnpike.api.ChainKind;
import dev.turnpike.api.EventLoopExecutor;
import dev.turnpike.api.Headers;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.RequestHead;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.health.HealthProbes;
import dev.turnpike.api.health.HttpProbe;
import dev.turnpike.api.health.ProbeResult;
import dev.turnpike.api.metrics.Counter;
import dev.turnpike.api.metrics.Gauge;
import dev.turnpike.api.metrics.PluginMetrics;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Test doubles for the balancer's tests: a {@link PluginContext} whose event loop, probes, metrics
 * and carried state the test controls, and Mockito sessions. Nothing here sleeps or starts a thread:
 * scheduled tasks and probes run only when the test says so.
 */
final class LbTestSupport {

    /** Where the runtime puts the first chain entry's config: errors must name keys under it. */
    static final String PREFIX = "plugins.chain[0].config";

    /** Where it puts the config of a tcp listener's first chain entry. */
    static final String TCP_PREFIX = "tcp[0].chain[0].config";

    private LbTestSupport() {
    }

    // ------------------------------------------------------------------ config

    /** An ordered mapping from alternating keys and values, as YAML would give it. */
    static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    /** A started balancer over this config (with a fresh context). */
    static LoadBalancer started(Map<String, Object> config) {
        return started(new TestContext(config));
    }

    static LoadBalancer started(TestContext context) {
        LoadBalancer lb = new LoadBalancer();
        lb.start(context);
        return lb;
    }

    /** The single group of the one-group form. */
    static Group defaultGroup(LoadBalancer lb) {
        return lb.groups().get(LoadBalancer.DEFAULT_GROUP);
    }

    /** The index of {@code address} in {@code g}. */
    static int indexOf(Group g, String address) {
        for (int i = 0; i < g.size(); i++) {
            if (g.peer(i).address().equals(address)) {
                return i;
            }
        }
        throw new AssertionError(address + " is not in group " + g.name());
    }

    // ------------------------------------------------------------------ requests

    /** Asks for a peer and checks that the answer is one. */
    static String pickAddress(LoadBalancer lb, Session s, Attempts a) {
        Outcome o = lb.upstreamPeer(s, a);
        assertEquals(Outcome.Kind.UPSTREAM, o.kind(), () -> "expected a peer, got " + o);
        return o.peer().address();
    }

    /**
     * Starts requests until one is sent to {@code address} and returns its context, still holding
     * the backend; requests sent elsewhere are ended with a 200.
     */
    static Attempts requestTo(LoadBalancer lb, String address) {
        Session ok = req().status(200).build();
        for (int i = 0; i < 1000; i++) {
            Attempts a = lb.newContext(ok);
            if (pickAddress(lb, ok, a).equals(address)) {
                return a;
            }
            lb.logging(ok, a);
        }
        return fail("no request went to " + address);
    }

    /** One whole request to {@code address}, whose backend answers {@code status}. */
    static void answer(LoadBalancer lb, String address, int status) {
        Attempts a = requestTo(lb, address);
        lb.logging(req().status(status).build(), a);
    }

    static Req req() {
        return new Req();
    }

    /** Builds a Mockito session: client address, Host, path, headers, upstream status. */
    static final class Req {
        private String client = "192.0.2.10";
        private String host = "example.com";
        private String path = "/";
        private final Map<String, String> headers = new LinkedHashMap<>();
        private int status;

        Req client(String ip) {
            this.client = ip;
            return this;
        }

        /** The Host header ({@code null}: none). */
        Req host(String host) {
            this.host = host;
            return this;
        }

        Req path(String path) {
            this.path = path;
            return this;
        }

        Req header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        /** What {@link Session#upstreamStatus()} says (0: no backend answered). */
        Req status(int status) {
            this.status = status;
            return this;
        }

        Session build() {
            Headers h = mock(Headers.class);
            for (Map.Entry<String, String> e : headers.entrySet()) {
                when(h.get(e.getKey())).thenReturn(e.getValue());
                when(h.contains(e.getKey())).thenReturn(true);
            }
            RequestHead head = mock(RequestHead.class);
            when(head.method()).thenReturn("GET");
            when(head.path()).thenReturn(path);
            when(head.uri()).thenReturn(path);
            when(head.host()).thenReturn(host);
            when(head.headers()).thenReturn(h);
            if (host != null) {
                when(h.get("Host")).thenReturn(host);
            }
            Session s = mock(Session.class);
            when(s.clientAddress()).thenReturn(new InetSocketAddress(client, 40000));
            when(s.request()).thenReturn(head);
            when(s.upstreamStatus()).thenReturn(status);
            return s;
        }
    }

    // ------------------------------------------------------------------ the plugin's context

    /** A {@link PluginContext} whose loop, probes, metrics and carried state belong to the test. */
    static final class TestContext implements PluginContext {
        final ConfigSection config;
        final ConcurrentMap<String, Object> carried;
        final FakeLoop loop = new FakeLoop();
        final FakeProbes probes = new FakeProbes();
        final RecordingMetrics metrics = new RecordingMetrics();
        final ChainKind chain;

        TestContext(Map<String, Object> config) {
            this(config, new ConcurrentHashMap<>());
        }

        TestContext(Map<String, Object> config, ConcurrentMap<String, Object> carried) {
            this(config, carried, ChainKind.HTTP);
        }

        /** An entry of a chain of this kind (its config under {@link #PREFIX} or {@link #TCP_PREFIX}). */
        TestContext(Map<String, Object> config, ChainKind chain) {
            this(config, new ConcurrentHashMap<>(), chain);
        }

        private TestContext(Map<String, Object> config, ConcurrentMap<String, Object> carried, ChainKind chain) {
            this.config = ConfigSection.of(chain == ChainKind.TCP ? TCP_PREFIX : PREFIX, config);
            this.carried = carried;
            this.chain = chain;
        }

        @Override
        public ChainKind chainKind() {
            return chain;
        }

        @Override
        public String pluginId() {
            return "load-balancer";
        }

        @Override
        public String pluginVersion() {
            return "test";
        }

        @Override
        public ConfigSection config() {
            return config;
        }

        @Override
        public PluginMetrics metrics() {
            return metrics;
        }

        @Override
        public EventLoopExecutor executor() {
            return loop;
        }

        @Override
        public HealthProbes probes() {
            return probes;
        }

        @Override
        public ConcurrentMap<String, Object> carriedState() {
            return carried;
        }
    }

    /** An event loop that only records tasks: the test runs them with {@link #runPending()}. */
    static final class FakeLoop implements EventLoopExecutor {

        /** One scheduled task, and its future. */
        static final class Task implements ScheduledFuture<Object> {
            final Runnable runnable;
            final long delayMillis;
            boolean ran;
            boolean cancelled;

            Task(Runnable runnable, long delayMillis) {
                this.runnable = runnable;
                this.delayMillis = delayMillis;
            }

            @Override
            public boolean cancel(boolean mayInterrupt) {
                if (ran || cancelled) {
                    return false;
                }
                cancelled = true;
                return true;
            }

            @Override
            public boolean isCancelled() {
                return cancelled;
            }

            @Override
            public boolean isDone() {
                return ran || cancelled;
            }

            @Override
            public Object get() {
                return null;
            }

            @Override
            public Object get(long timeout, TimeUnit unit) {
                return null;
            }

            @Override
            public long getDelay(TimeUnit unit) {
                return unit.convert(delayMillis, TimeUnit.MILLISECONDS);
            }

            @Override
            public int compareTo(Delayed o) {
                return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
            }
        }

        final List<Task> tasks = new ArrayList<>();

        @Override
        public synchronized void execute(Runnable task) {
            tasks.add(new Task(task, 0));
        }

        @Override
        public synchronized ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
            Task t = new Task(task, unit.toMillis(delay));
            tasks.add(t);
            return t;
        }

        @Override
        public boolean inEventLoop() {
            return true;
        }

        /** Tasks neither run nor cancelled. */
        synchronized List<Task> pending() {
            List<Task> out = new ArrayList<>();
            for (Task t : tasks) {
                if (!t.isDone()) {
                    out.add(t);
                }
            }
            return out;
        }

        /** Runs every task pending now (not the ones they schedule); returns how many ran. */
        int runPending() {
            List<Task> now = pending();
            for (Task t : now) {
                t.ran = true;
                t.runnable.run();
            }
            return now.size();
        }
    }

    /** Probes that the test completes by hand. */
    static final class FakeProbes implements HealthProbes {

        /** One probe asked for: {@code http} is null for a TCP probe. */
        record Call(Peer peer, HttpProbe http, Duration timeout, CompletableFuture<ProbeResult> result) {
            void complete(ProbeResult r) {
                result.complete(r);
            }
        }

        final List<Call> calls = new ArrayList<>();

        @Override
        public synchronized CompletionStage<ProbeResult> tcp(Peer peer, Duration timeout) {
            Call c = new Call(peer, null, timeout, new CompletableFuture<>());
            calls.add(c);
            return c.result();
        }

        @Override
        public synchronized CompletionStage<ProbeResult> http(Peer peer, HttpProbe probe) {
            Call c = new Call(peer, probe, probe.timeout(), new CompletableFuture<>());
            calls.add(c);
            return c.result();
        }

        /** Probes of this backend so far. */
        synchronized List<Call> of(String address) {
            List<Call> out = new ArrayList<>();
            for (Call c : calls) {
                if (c.peer().address().equals(address)) {
                    out.add(c);
                }
            }
            return out;
        }

        /** Completes every probe still open with {@code result}; returns how many. */
        synchronized int completeAll(ProbeResult result) {
            int n = 0;
            for (Call c : calls) {
                if (!c.result().isDone()) {
                    c.complete(result);
                    n++;
                }
            }
            return n;
        }

        synchronized int open() {
            int n = 0;
            for (Call c : calls) {
                if (!c.result().isDone()) {
                    n++;
                }
            }
            return n;
        }

        static ProbeResult connected() {
            return new ProbeResult(0, Duration.ofMillis(3), null);
        }

        static ProbeResult status(int status) {
            return new ProbeResult(status, Duration.ofMillis(3), null);
        }

        static ProbeResult refused() {
            return new ProbeResult(0, Duration.ofMillis(1), "connection refused");
        }
    }

    /** Metrics that keep every value, keyed {@code name{label,label}}. */
    static final class RecordingMetrics implements PluginMetrics {
        final Map<String, Double> values = new ConcurrentHashMap<>();
        /** How many times each gauge series was set (a report is one set). */
        final Map<String, Integer> sets = new ConcurrentHashMap<>();

        private static String key(String name, String... labels) {
            return name + "{" + String.join(",", labels) + "}";
        }

        /** The value recorded, or null when none was. */
        Double value(String name, String... labels) {
            return values.get(key(name, labels));
        }

        /** How many times the gauge series was set; 0 when never. */
        int sets(String name, String... labels) {
            return sets.getOrDefault(key(name, labels), 0);
        }

        /** The lb_panic gauge of a group. */
        Double panic(String group) {
            return value("lb_panic", group);
        }

        /** The lb_backend_up gauge of a backend. */
        Double up(String group, String backend) {
            return value("lb_backend_up", group, backend);
        }

        /** How many times the backend went {@code state} ("up" or "down"); 0 when never. */
        double changes(String group, String backend, String state) {
            Double v = value("lb_backend_state_changes_total", group, backend, state);
            return v == null ? 0 : v;
        }

        @Override
        public Counter counter(String name, String help, String... labelNames) {
            return new Counter() {
                @Override
                public void inc(String... labelValues) {
                    add(1, labelValues);
                }

                @Override
                public void add(double amount, String... labelValues) {
                    values.merge(key(name, labelValues), amount, Double::sum);
                }
            };
        }

        @Override
        public Gauge gauge(String name, String help, String... labelNames) {
            return new Gauge() {
                @Override
                public void set(double value, String... labelValues) {
                    values.put(key(name, labelValues), value);
                    sets.merge(key(name, labelValues), 1, Integer::sum);
                }

                @Override
                public void inc(String... labelValues) {
                    values.merge(key(name, labelValues), 1.0, Double::sum);
                }

                @Override
                public void dec(String... labelValues) {
                    values.merge(key(name, labelValues), -1.0, Double::sum);
                }
            };
        }
    }
}
