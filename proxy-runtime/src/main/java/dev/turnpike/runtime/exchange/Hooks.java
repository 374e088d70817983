package dev.turnpike.runtime.exchange;

import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamConnection;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.runtime.chain.Chain;
import dev.turnpike.runtime.chain.Chain.Phase;
import dev.turnpike.runtime.chain.ChainLink;
import dev.turnpike.runtime.metrics.ProxyMetrics;

/**
 * The phases that run synchronously, over every plugin that has them, and cannot park:
 * new_context, connected_to_upstream, the failure hooks, fail_to_proxy and logging. Each call is
 * timed per plugin, and a plugin that throws is turned into a {@link ProxyError} naming it (or,
 * where a throw changes nothing, logged and counted).
 */
final class Hooks {

    /** What the failure hooks said: whether any asked for a retry, or the failure of one that threw. */
    record Asked(boolean retry, ProxyError thrown) {
    }

    /** An error page, and the plugin that wrote it. */
    record Page(Response response, ChainLink by) {
    }

    private final Chain chain;
    private final Object[] contexts;
    private final Session session;
    private final ProxyMetrics metrics;
    private final ErrorLog errors;

    Hooks(Chain chain, Object[] contexts, Session session, ProxyMetrics metrics, ErrorLog errors) {
        this.chain = chain;
        this.contexts = contexts;
        this.session = session;
        this.metrics = metrics;
        this.errors = errors;
    }

    /** Makes each plugin's per-request context; the failure of one that throws, or null. */
    ProxyError newContexts() {
        for (int position : chain.positions(Phase.NEW_CONTEXT)) {
            ChainLink link = chain.link(position);
            try {
                contexts[position] = link.plugin().newContext(session);
            } catch (Throwable t) {
                PhaseLoop.rethrowIfFatal(t);
                return PhaseLoop.failure(link, Phase.NEW_CONTEXT, t);
            }
        }
        return null;
    }

    /** connected_to_upstream for the attempt's connection; the failure of a plugin that throws, or null. */
    ProxyError connected(Attempt attempt) {
        int[] positions = chain.positions(Phase.CONNECTED_TO_UPSTREAM);
        if (positions.length == 0) {
            return null;
        }
        UpstreamConnection connection = attempt.connection();
        for (int position : positions) {
            ChainLink link = chain.link(position);
            long start = System.nanoTime();
            try {
                link.plugin().connectedToUpstream(session, contexts[position], connection);
            } catch (Throwable t) {
                PhaseLoop.rethrowIfFatal(t);
                return PhaseLoop.failure(link, Phase.CONNECTED_TO_UPSTREAM, t);
            } finally {
                timed(link, Phase.CONNECTED_TO_UPSTREAM, start);
            }
        }
        return null;
    }

    /** Whether any plugin with the failure hook asks for a retry; every one is told, until one throws. */
    Asked failure(Phase hook, UpstreamFailure failure) {
        boolean retry = false;
        for (int position : chain.positions(hook)) {
            ChainLink link = chain.link(position);
            long start = System.nanoTime();
            try {
                retry |= hook == Phase.FAIL_TO_CONNECT
                        ? link.plugin().failToConnect(session, contexts[position], failure)
                        : link.plugin().errorWhileProxying(session, contexts[position], failure);
            } catch (Throwable t) {
                PhaseLoop.rethrowIfFatal(t);
                return new Asked(false, PhaseLoop.failure(link, hook, t));
            } finally {
                timed(link, hook, start);
            }
        }
        return new Asked(retry, null);
    }

    /**
     * The error page a fail_to_proxy plugin offers: the first non-null answer in chain order wins.
     * A plugin that throws is logged and counted, and the next one asked; null when none answers.
     */
    Page errorPage(ProxyError error) {
        for (int position : chain.positions(Phase.FAIL_TO_PROXY)) {
            ChainLink link = chain.link(position);
            long start = System.nanoTime();
            try {
                Response page = link.plugin().failToProxy(session, contexts[position], error);
                if (page != null) {
                    return new Page(page, link);
                }
            } catch (Throwable t) {
                PhaseLoop.rethrowIfFatal(t);
                thrownAndIgnored(link, Phase.FAIL_TO_PROXY, t);
            } finally {
                timed(link, Phase.FAIL_TO_PROXY, start);
            }
        }
        return null;
    }

    /** logging, for every plugin; a throw is logged and counted and changes nothing. */
    void logging() {
        for (int position : chain.positions(Phase.LOGGING)) {
            ChainLink link = chain.link(position);
            try {
                link.plugin().logging(session, contexts[position]);
            } catch (Throwable t) {
                PhaseLoop.rethrowIfFatal(t);
                thrownAndIgnored(link, Phase.LOGGING, t);
            }
        }
    }

    private void thrownAndIgnored(ChainLink link, Phase phase, Throwable t) {
        metrics.pluginFailed(link.pluginId(), phase.label());
        errors.report(PhaseLoop.failure(link, phase, t), session);
    }

    private void timed(ChainLink link, Phase phase, long start) {
        metrics.pluginTime(link.pluginId(), phase.ordinal(), phase.label(), System.nanoTime() - start);
    }
}
