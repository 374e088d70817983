package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.turnpike.runtime.plugin.LoadedPlugin;
import dev.turnpike.runtime.plugin.PluginHost;
import dev.turnpike.runtime.plugin.TestJars;
import dev.turnpike.runtime.plugin.testplugins.LeaksAThread;
import dev.turnpike.runtime.plugin.testplugins.Silent;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Issue 15: the leak report comes after a garbage collection. A plugin version swapped out that
 * holds nothing is collected by it and not reported; one that left a thread running is reported,
 * naming the thread. Loaded from jars by the plugin host, as in production; reported with no delay.
 */
class LeakAfterGcTest {

    @TempDir
    Path drop;

    private final Logger logger = (Logger) LoggerFactory.getLogger(Generations.class);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private PluginHost host;

    @BeforeEach
    void setUp() throws Exception {
        lines.start();
        logger.addAppender(lines);
        host = new PluginHost(drop);
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(lines);
        host.close();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(LeaksAThread.THREAD)) {
                t.interrupt();
            }
        }
    }

    /** Loads the jar, makes one instance (as a chain would), drops it, unloads the version and watches it. */
    private Generations swappedOut(String id, Class<?> extension) throws Exception {
        LoadedPlugin plugin = host.load(TestJars.pluginJar(drop, id + ".jar", id, "1.0.0", extension));
        plugin.newInstance();
        Generations g = new Generations(0);
        g.unloadUnused(List.of(plugin), List.of());
        plugin = null; // the host and the generations keep only weak or closed references now
        host.purgeClosed();
        return g;
    }

    private List<String> warnings(String id) {
        return lines.list.stream().filter(e -> e.getLevel().toString().equals("WARN"))
                .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("plugin " + id)).toList();
    }

    @Test
    @Timeout(30)
    void aSwappedPluginThatHoldsNothingIsNotReported() throws Exception {
        Generations g = swappedOut("clean", Silent.class);
        assertEquals(1, g.retiredLoaders().size());
        g.reportLeaks(); // due at once: before the fix this warned, no collection having run yet
        assertEquals(List.of(), warnings("clean"), () -> "log: " + lines.list);
        assertEquals(0, g.retiredLoaders().size(), "collected by the report's own GC, and forgotten");
    }

    @Test
    @Timeout(30)
    void aSwappedPluginThatLeftAThreadRunningIsReportedNamingTheThread() throws Exception {
        Generations g = swappedOut("leaky", LeaksAThread.class);
        g.reportLeaks();
        g.reportLeaks();
        List<String> warnings = warnings("leaky");
        assertEquals(1, warnings.size(), () -> "reported once: " + lines.list);
        String w = warnings.get(0);
        System.out.println("[issue 15] " + w);
        assertTrue(w.contains("still reachable after a garbage collection"), w);
        assertTrue(w.contains("held by thread '" + LeaksAThread.THREAD + "' (running " + LeaksAThread.class.getName()), w);
        assertEquals(1, g.retiredLoaders().size());
    }
}
