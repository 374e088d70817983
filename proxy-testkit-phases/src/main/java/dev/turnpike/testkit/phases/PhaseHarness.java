package dev.turnpike.testkit.phases;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.HostPort;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.ProxyPlugin;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Calls one plugin's phases without a proxy, a socket or Netty: a plugin's unit tests in
 * milliseconds. The harness starts the plugin with a {@link FakePluginContext} (refusing its
 * config as the runtime would), then runs requests through it, each an {@link Exchange} over a
 * {@link FakeSession}:
 *
 * <pre>{@code
 * PhaseHarness<Void> h = PhaseHarness.start(new ApiKeyAuth(), Map.of("header", "X-Api-Key"));
 * Exchange<Void> x = h.run(FakeSession.get("/orders").header("X-Api-Key", "wrong"));
 * assertEquals(401, x.response().status());
 * assertEquals(1.0, h.metrics().value("api_key_rejections_total"));
 * }</pre>
 *
 * <p><b>Threads and time.</b> Phases run on the calling thread, which stands for the request's
 * event loop: the context's and the sessions' {@link FakeEventLoop} (one loop, by default) say
 * {@code inEventLoop()} there. Nothing runs by itself: a phase that returns {@link Outcome#later}
 * is driven by running the loop's ready tasks, then by moving its virtual clock to the next
 * scheduled task, up to the phase timeout ({@code plugins.phase_timeout}, 10 s); only when nothing
 * is queued does the harness wait, in real time up to the timeout, for a thread of the plugin's
 * own. A stage still pending then fails the test, as the runtime fails the request.
 *
 * <p>One harness per plugin instance. {@link #stop} calls the plugin's {@code stop}, as the runtime
 * does after the instance's last request. Set the harness up on one thread; {@link #exchange} may
 * then be called from several threads at once (a test of a plugin's thread safety), each exchange
 * confined to its thread, as long as their phases do not return {@code later}: the stages of all
 * exchanges are driven on the one loop, which runs on the thread that made it.
 *
 * @param <C> the plugin's per-request context type
 */
public final class PhaseHarness<C> {

    /** The runtime's default {@code plugins.phase_timeout}. */
    public static final Duration DEFAULT_PHASE_TIMEOUT = Duration.ofSeconds(10);

    private final ProxyPlugin<C> plugin;
    private final FakePluginContext context;
    private Duration phaseTimeout = DEFAULT_PHASE_TIMEOUT;
    private boolean stopped;

    private PhaseHarness(ProxyPlugin<C> plugin, FakePluginContext context) {
        this.plugin = plugin;
        this.context = context;
    }

    /**
     * Starts {@code plugin} with this {@code config:} mapping, as the first entry of
     * {@code plugins.chain}.
     *
     * @throws dev.turnpike.api.config.InvalidConfigException as the runtime would refuse the config
     */
    public static <C> PhaseHarness<C> start(ProxyPlugin<C> plugin, Map<String, ?> config) {
        return start(plugin, new FakePluginContext(config));
    }

    /**
     * Starts {@code plugin} with a context the test set up (id, path, chain kind, shared metrics...).
     *
     * @throws dev.turnpike.api.config.InvalidConfigException as the runtime would refuse the config
     */
    public static <C> PhaseHarness<C> start(ProxyPlugin<C> plugin, FakePluginContext context) {
        Objects.requireNonNull(plugin, "plugin");
        context.start(plugin);
        return new PhaseHarness<>(plugin, context);
    }

    /**
     * A harness over a plugin whose {@code start} the test called itself, with {@code context}
     * (or, to test what a plugin does before it is started, did not call at all).
     */
    public static <C> PhaseHarness<C> of(ProxyPlugin<C> plugin, FakePluginContext context) {
        return new PhaseHarness<>(Objects.requireNonNull(plugin, "plugin"), Objects.requireNonNull(context, "context"));
    }

    /** The phase timeout stages are driven for (default 10 s, of virtual time on the loop). */
    public PhaseHarness<C> phaseTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("a phase timeout is more than zero");
        }
        this.phaseTimeout = timeout;
        return this;
    }

    public ProxyPlugin<C> plugin() {
        return plugin;
    }

    public FakePluginContext context() {
        return context;
    }

    /** The plugin's metrics. */
    public FakeMetrics metrics() {
        return context.metrics();
    }

    /** The loop of the plugin's context, which the sessions of this harness run on too. */
    public FakeEventLoop loop() {
        return context.executor();
    }

    /**
     * A new request through the plugin: puts {@code session} on the harness's loop and calls
     * {@code newContext}; the test then runs the phases it wants.
     */
    public Exchange<C> exchange(FakeSession session) {
        checkRunning();
        session.executor(loop());
        return new Exchange<>(plugin, context.pluginId(), session, phaseTimeout);
    }

    /** {@link #run(FakeSession, int, String...)} with a backend that answers 200 without headers. */
    public Exchange<C> run(FakeSession session) {
        return run(session, 200);
    }

    /**
     * The whole request path in the runtime's order, for this plugin alone: {@code request_filter};
     * {@code upstream_peer} (when it chooses none, the request fails with {@link ErrorKind#NO_PEER}
     * and {@code fail_to_proxy} runs, as when no plugin of a chain chooses); {@code
     * upstream_request_filter}; {@code connected_to_upstream}; the backend answers {@code status}
     * with {@code headers}; {@code response_filter}; and always {@code logging}, also after a phase
     * threw (its exception then reaches the test). A {@code respond} ends the path there, as in the
     * runtime. Body phases do not run (the request has no body).
     *
     * <p>A forward request ({@link FakeSession#forwardTarget}) goes as the runtime sends it: a
     * {@code CONNECT} runs {@code request_filter} and {@code logging} only (the tunnel's bytes are
     * not HTTP); an absolute-form target skips {@code upstream_peer}, its peer being the target.
     * A session that has a peer already skips {@code upstream_peer} too.
     */
    public Exchange<C> run(FakeSession session, int status, String... headers) {
        Exchange<C> x = exchange(session);
        Throwable failed = null;
        try {
            path(x, status, headers);
            return x;
        } catch (RuntimeException | Error e) {
            failed = e;
            throw e;
        } finally {
            try {
                x.logging();
            } catch (RuntimeException | Error e) {
                if (failed == null) {
                    throw e;
                }
                failed.addSuppressed(e);
            }
        }
    }

    private void path(Exchange<C> x, int status, String... headers) {
        FakeSession session = x.session();
        if (x.requestFilter().kind() == Outcome.Kind.RESPOND) {
            return;
        }
        HostPort forward = session.forwardTarget();
        if (forward != null && session.request().method().equals("CONNECT")) {
            return;
        }
        if (forward != null && session.peer() == null) {
            session.peer(Peer.of(forward.host(), forward.port()));
        }
        if (session.peer() == null) {
            Outcome peer = x.upstreamPeer();
            if (peer.kind() == Outcome.Kind.RESPOND) {
                return;
            }
            if (peer.kind() != Outcome.Kind.UPSTREAM) {
                x.failToProxy(ProxyError.of(ErrorKind.NO_PEER, "no plugin chose a backend", null));
                return;
            }
        }
        if (x.upstreamRequestFilter().kind() == Outcome.Kind.RESPOND) {
            return;
        }
        x.connectedToUpstream();
        x.backendResponds(status, headers);
        x.responseFilter();
    }

    /** Calls the plugin's {@code stop}, once; no exchange may start afterwards. */
    public void stop() {
        if (!stopped) {
            stopped = true;
            plugin.stop();
        }
    }

    private void checkRunning() {
        if (stopped) {
            throw new IllegalStateException("the plugin was stopped: the runtime sends it no more requests");
        }
    }
}
