package dev.turnpike.plugins.ratelimit;

import dev.turnpike.testkit.phases.FakeMetrics;
import dev.turnpike.testkit.phases.FakePluginContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Starts plugin instances the way the host does, with a fake clock and a captured WARN log. */
final class Limiters {

    static final String PREFIX = FakePluginContext.HTTP_PATH;

    final FakeClock clock;
    final List<String> warnings = Collections.synchronizedList(new ArrayList<>());
    final FakeMetrics metrics = new FakeMetrics();
    /** The context of the last {@link #start}: its config tells which keys the plugin read. */
    FakePluginContext lastContext;

    Limiters() {
        this(new FakeClock());
    }

    Limiters(FakeClock clock) {
        this.clock = clock;
    }

    /**
     * A started plugin (no sweeper thread) with this config, given as key, value, key, value...
     * Its start() is called directly, so a test can see the keys it left unread.
     */
    RateLimit start(Object... keyValues) {
        RateLimit r = new RateLimit(clock, warnings::add, false);
        lastContext = context(FakePluginContext.mapping(keyValues)).metrics(metrics);
        r.start(lastContext);
        return r;
    }

    /** The context the runtime gives this plugin's first chain entry. */
    static FakePluginContext context(java.util.Map<String, ?> config) {
        return new FakePluginContext(config).pluginId("rate-limit").pluginVersion("test");
    }
}
