package dev.turnpike.testing;

import io.netty.util.ResourceLeakDetector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ResourceLeakDetector} whose reports go to {@link LeakDetection} (so a test can fail on
 * them) as well as to the log. Netty only logs a leak, which a green build would hide.
 */
final class RecordingLeakDetector<T> extends ResourceLeakDetector<T> {

    private static final Logger log = LoggerFactory.getLogger(RecordingLeakDetector.class);

    RecordingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
    }

    /** Always: Netty's default skips reporting when its logger has ERROR off, and a silent leak must still fail. */
    @Override
    protected boolean needReport() {
        return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        record("LEAK: " + resourceType + ".release() was not called before it was garbage-collected."
                + " Recent access records:" + records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        record("LEAK: " + resourceType + ".release() was not called before it was garbage-collected."
                + " No access records: run with -Dio.netty.leakDetection.level=paranoid to see where it was used.");
    }

    private static void record(String report) {
        if (report.contains(LeakDetection.DELIBERATE)) {
            // A self-test leaking on purpose: a screenful of ERROR in a green build would mislead.
            log.debug("{}", report);
        } else {
            log.error("{}", report);
        }
        LeakDetection.recordLeak(report);
    }
}
