package dev.turnpike.plugins.ratelimit;

import dev.turnpike.api.PluginContext;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.metrics.PluginMetrics;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Starts plugin instances the way the host does, with a fake clock and a captured WARN log. */
final class Limiters {

    static final String PREFIX = "plugins.chain[0].config";

    /** The runtime's context, reduced to what start() reads. */
    record Context(ConfigSection config, PluginMetrics metrics) implements PluginContext {
        // Not used by this plugin: it schedules nothing and probes nothing.
        @Override
        public dev.turnpike.api.EventLoopExecutor executor() {
            throw new UnsupportedOperationException("no event loop in this test");
        }

        @Override
        public dev.turnpike.api.health.HealthProbes probes() {
            throw new UnsupportedOperationException("no probes in this test");
        }

        @Override
        public java.util.concurrent.ConcurrentMap<String, Object> carriedState() {
            return new java.util.concurrent.ConcurrentHashMap<>();
        }

        @Override
        public String pluginId() {
            return "rate-limit";
        }

        @Override
        public String pluginVersion() {
            return "test";
        }
    }

    final FakeClock clock;
    final List<String> warnings = Collections.synchronizedList(new ArrayList<>());
    final RecordingMetrics metrics = new RecordingMetrics();
    ConfigSection lastConfig;

    Limiters() {
        this(new FakeClock());
    }

    Limiters(FakeClock clock) {
        this.clock = clock;
    }

    /** A started plugin (no sweeper thread) with this config, given as key, value, key, value... */
    RateLimit start(Object... keyValues) {
        RateLimit r = new RateLimit(clock, warnings::add, false);
        lastConfig = ConfigSection.of(PREFIX, map(keyValues));
        r.start(new Context(lastConfig, metrics));
        return r;
    }

    static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }
}
