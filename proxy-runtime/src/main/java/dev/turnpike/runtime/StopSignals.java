package dev.turnpike.runtime;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGHUP reloads the configuration. SIGTERM and SIGINT: the first runs a graceful stop on a thread of its own; the second exits at
 * once (exit code 1), as an operator who presses Ctrl-C twice expects. JVM shutdown hooks cannot do
 * this: once one runs, the JVM ignores further signals until it is done.
 */
final class StopSignals {

    private static final Logger log = LoggerFactory.getLogger(StopSignals.class);

    private StopSignals() {
    }

    /** SIGHUP: {@code reload} runs (it must hand off quickly; the signal thread is the JVM's). */
    static void onHangup(Runnable reload) {
        Signal.handle(new Signal("HUP"), signal -> reload.run());
    }

    static void onFirst(Consumer<String> gracefulStop) {
        AtomicBoolean stopping = new AtomicBoolean();
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                if (!stopping.compareAndSet(false, true)) {
                    log.warn("SIG{} again: exiting now", signal.getName());
                    Runtime.getRuntime().halt(1);
                }
                Thread t = new Thread(() -> gracefulStop.accept("SIG" + signal.getName()), "turnpike-stop");
                t.setDaemon(false);
                t.start();
            });
        }
    }
}
