package dev.turnpike.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGHUP reloads the configuration. SIGTERM and SIGINT: the first runs a graceful stop on a thread of its own; the second exits at
 * once (exit code 1), as an operator who presses Ctrl-C twice expects. JVM shutdown hooks cannot do
 * this: once one runs, the JVM ignores further signals until it is done.
 *
 * <p>A signal the process inherited as ignored ({@code nohup} ignores SIGHUP; a shell ignores SIGINT
 * for a job it starts in the background) cannot be taken over: HotSpot refuses to install a handler
 * for HUP, INT or TERM when it finds them ignored at the time, and Java has no call that restores
 * their default. {@link Signal#handle} then hands back {@link SignalHandler#SIG_IGN} and installs
 * nothing, which is how the methods here tell; {@link #ignoredWarning} says what that disables.
 */
final class StopSignals {

    private static final Logger log = LoggerFactory.getLogger(StopSignals.class);

    private StopSignals() {
    }

    /**
     * SIGHUP: {@code reload} runs (it must hand off quickly; the signal thread is the JVM's).
     *
     * @return false when SIGHUP was ignored at start, so nothing was installed
     */
    static boolean onHangup(Runnable reload) {
        return install("HUP", signal -> reload.run());
    }

    /** @return the signals of TERM and INT that were ignored at start, so have no handler */
    static List<String> onFirst(Consumer<String> gracefulStop) {
        AtomicBoolean stopping = new AtomicBoolean();
        List<String> ignored = new ArrayList<>();
        for (String name : new String[] {"TERM", "INT"}) {
            boolean installed = install(name, signal -> {
                if (!stopping.compareAndSet(false, true)) {
                    log.warn("SIG{} again: exiting now", signal.getName());
                    Runtime.getRuntime().halt(1);
                }
                Thread t = new Thread(() -> gracefulStop.accept("SIG" + signal.getName()), "turnpike-stop");
                t.setDaemon(false);
                t.start();
            });
            if (!installed) {
                ignored.add(name);
            }
        }
        return ignored;
    }

    /** The start-up warning for signals {@code ignored} (names without SIG, in HUP, TERM, INT order). */
    static String ignoredWarning(List<String> ignored) {
        StringBuilder b = new StringBuilder();
        for (String name : ignored) {
            b.append(b.length() == 0 ? "" : "; ").append("SIG").append(name).append(switch (name) {
                case "HUP" -> " will not reload the configuration (edits of the file still do)";
                case "TERM" -> " will not stop the proxy";
                case "INT" -> " (Ctrl-C) will not stop the proxy";
                default -> " will do nothing";
            });
        }
        return b + ": the proxy was started with " + String.join(", ", ignored.stream().map(n -> "SIG" + n).toList())
                + " ignored (nohup, or a background job of a script) and the JVM cannot take over an ignored signal;"
                + " start it with setsid rather than nohup, or through env --default-signal=" + String.join(",", ignored) + ", to have "
                + (ignored.size() == 1 ? "it" : "them") + " back";
    }

    private static boolean install(String name, SignalHandler handler) {
        return Signal.handle(new Signal(name), handler) != SignalHandler.SIG_IGN;
    }
}
