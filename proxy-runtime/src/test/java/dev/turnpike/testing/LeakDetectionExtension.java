package dev.turnpike.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class in whose run Netty reported a leak. Registered for every test by JUnit's
 * extension auto-detection ({@code META-INF/services/org.junit.jupiter.api.extension.Extension},
 * enabled in {@code junit-platform.properties}), so no test has to remember it.
 *
 * <p>JUnit loads auto-detected extensions when the engine starts, before any test class runs, so
 * the static initialiser installs {@link LeakDetection} before the first buffer exists.
 */
public final class LeakDetectionExtension implements AfterAllCallback {

    static {
        LeakDetection.install();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        LeakDetection.assertNoLeaks();
    }
}
