package dev.turnpike.testing;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a Netty buffer leak fail the build instead of scrolling past in a log.
 *
 * <p>{@link #install()} replaces Netty's {@link ResourceLeakDetectorFactory} with one whose
 * detectors record every leak report here. It must run before the first {@code ByteBuf} is
 * allocated, because Netty creates the buffer detector once, when {@code AbstractByteBuf} is
 * initialised; {@link LeakDetectionExtension} (auto-detected by JUnit, see
 * {@code META-INF/services}) does that when the test engine starts, and checks after every test
 * class. Tests that want a sharper verdict call {@link #assertNoLeaks()} themselves.
 *
 * <p>Netty finds a leak only after the garbage collector has collected the leaked buffer and a
 * detector has polled its reference queue; {@link #collect()} forces both, as far as a JVM allows.
 * A leak is therefore reported after the code that caused it, sometimes one test class later: the
 * report's access records ("Created at", hints) name the real culprit.
 */
public final class LeakDetection {

    /**
     * Start of a {@code ByteBuf.touch} hint that marks a leak made on purpose (by a test of the
     * detection itself): its report is recorded like any other but logged at DEBUG, not ERROR.
     */
    public static final String DELIBERATE = "deliberate-leak:";

    private static final Logger log = LoggerFactory.getLogger(LeakDetection.class);

    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
    private static final RecordingLeakDetectorFactory FACTORY = new RecordingLeakDetectorFactory();
    private static volatile boolean installed;

    private LeakDetection() {
    }

    /**
     * Installs the recording factory (idempotent) and checks that Netty's buffer detector is one of
     * ours. Raises the detection level to PARANOID unless {@code io.netty.leakDetection.level} was
     * set explicitly, so an IDE run without the build's argLine still sees every buffer.
     *
     * @throws IllegalStateException when a buffer was allocated before this ran, so the buffer
     *         detector is Netty's own and leaks would go unnoticed
     */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        if (System.getProperty("io.netty.leakDetection.level") == null
                && System.getProperty("io.netty.leakDetectionLevel") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        }
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(FACTORY);
        Object bufferDetector = bufferDetector();
        if (bufferDetector != null && !(bufferDetector instanceof RecordingLeakDetector)) {
            throw new IllegalStateException("Netty's ByteBuf leak detector was created before LeakDetection.install()"
                    + " (a buffer was allocated too early): leaks would not fail the tests");
        }
        installed = true;
        log.debug("Netty leak detection installed at level {}", ResourceLeakDetector.getLevel());
    }

    /**
     * Collects garbage and makes every detector look for leaked objects, then fails if any leak was
     * reported since the last check. The reports are cleared, so each leak fails one check only.
     *
     * @throws AssertionError listing every report
     */
    public static void assertNoLeaks() {
        collect();
        List<String> found = drainLeaks(report -> true);
        if (!found.isEmpty()) {
            throw new AssertionError(found.size() + " Netty resource leak(s) detected:\n\n"
                    + String.join("\n\n", found));
        }
    }

    /**
     * Runs the garbage collector a few times and has every detector poll its reference queue, so
     * buffers that became unreachable by now are reported. Costs some tens of milliseconds.
     */
    public static void collect() {
        install();
        for (int round = 0; round < 3; round++) {
            System.gc();
            try {
                // The reference handler thread enqueues cleared references asynchronously.
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            poll();
        }
    }

    /** The leak reports recorded and not yet drained, oldest first. */
    public static List<String> leaks() {
        return List.copyOf(LEAKS);
    }

    /**
     * Removes and returns the reports that match {@code filter}, leaving the others to fail the next
     * check. A test that leaks on purpose drains only its own reports (match a hint it passed to
     * {@code ByteBuf.touch(Object)}), so it cannot hide someone else's leak.
     */
    public static List<String> drainLeaks(Predicate<String> filter) {
        List<String> drained = new ArrayList<>();
        for (String report : LEAKS) {
            if (filter.test(report) && LEAKS.remove(report)) {
                drained.add(report);
            }
        }
        return drained;
    }

    static void recordLeak(String report) {
        LEAKS.add(report);
    }

    /** Detectors report only while tracking a new object: give each one something to track. */
    private static void poll() {
        for (ByteBuf buf : new ByteBuf[] {
                PooledByteBufAllocator.DEFAULT.directBuffer(16),
                PooledByteBufAllocator.DEFAULT.heapBuffer(16),
                UnpooledByteBufAllocator.DEFAULT.directBuffer(16),
                UnpooledByteBufAllocator.DEFAULT.heapBuffer(16)}) {
            buf.release();
        }
        for (ResourceLeakDetector<?> detector : FACTORY.detectors()) {
            @SuppressWarnings("unchecked")
            ResourceLeakDetector<Object> any = (ResourceLeakDetector<Object>) detector;
            Object probe = new Object();
            ResourceLeakTracker<Object> tracker = any.trackForcibly(probe);
            if (tracker != null) {
                tracker.close(probe);
            }
        }
    }

    /** Netty's ByteBuf detector (initialising AbstractByteBuf if needed), or null if it cannot be read. */
    private static Object bufferDetector() {
        try {
            Field field = AbstractByteBuf.class.getDeclaredField("leakDetector");
            field.setAccessible(true);
            return field.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("Cannot verify Netty's ByteBuf leak detector ({}); relying on install order", e.toString());
            return null;
        }
    }
}
