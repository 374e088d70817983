package dev.turnpike.testing;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Hands Netty {@link RecordingLeakDetector}s and remembers them, so {@link LeakDetection} can make
 * each one poll its reference queue on demand (a detector otherwise looks only when it tracks a
 * new object of its own type).
 */
final class RecordingLeakDetectorFactory extends ResourceLeakDetectorFactory {

    /** A handful at most (one per tracked resource type, each held statically by Netty anyway). */
    private final List<ResourceLeakDetector<?>> detectors = new CopyOnWriteArrayList<>();

    @Override
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
        RecordingLeakDetector<T> detector = new RecordingLeakDetector<>(resource, samplingInterval);
        detectors.add(detector);
        return detector;
    }

    /** Netty's abstract hook; {@code maxActive} has been ignored by Netty itself for years. */
    @Override
    @Deprecated
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
        return newResourceLeakDetector(resource, samplingInterval);
    }

    List<ResourceLeakDetector<?>> detectors() {
        return detectors;
    }
}
