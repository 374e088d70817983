package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** An unloaded plugin version whose class loader stays reachable is reported, once; a collected one is forgotten. */
class LeakReportTest {

    @Test
    void aRetiredLoaderStillReachableIsReportedOnce() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(Generations.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        try (URLClassLoader held = new URLClassLoader(new URL[0], null)) {
            Generations g = new Generations(0);
            g.watchRetired("leaky 1.0", held); // `held` stays strongly reachable: a leak
            g.reportLeaks();
            g.reportLeaks();
            List<String> warnings = lines.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.contains("leaky 1.0") && m.contains("still reachable")).toList();
            assertEquals(1, warnings.size(), () -> "reported once: " + lines.list);
            assertEquals(1, g.retiredLoaders().size());
        } finally {
            logger.detachAppender(lines);
        }
    }

    @Test
    void aLoaderLetGoOfAfterTheFirstCollectionsIsNotReported() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(Generations.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        try {
            Generations g = new Generations(0, 50_000_000L);
            URLClassLoader[] holder = {new URLClassLoader(new URL[0], null)};
            g.watchRetired("slow 1.0", holder[0]); // held, like a thread that ends seconds after a GC
            g.reportLeaks(); // due: survives the collections, so it is looked at again later
            assertEquals(1, g.retiredLoaders().size());
            holder[0].close();
            holder[0] = null; // the holder lets go before the second look
            Thread.sleep(60);
            g.reportLeaks();
            assertTrue(g.retiredLoaders().isEmpty(), "collected at the second look");
            assertEquals(List.of(), lines.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.contains("slow 1.0") && m.contains("still reachable")).toList());
        } finally {
            logger.detachAppender(lines);
        }
    }

    @Test
    void aCollectedLoaderIsForgotten() throws Exception {
        Generations g = new Generations(Long.MAX_VALUE);
        g.watchRetired("gone 1.0", new URLClassLoader(new URL[0], null));
        for (int i = 0; i < 20 && !g.retiredLoaders().isEmpty(); i++) {
            System.gc();
            Thread.sleep(20);
            g.reportLeaks();
        }
        assertTrue(g.retiredLoaders().isEmpty(), "an unreachable loader is collected and forgotten");
    }
}
