package dev.turnpike.plugins.ratelimit;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tests against a real redis-server: one started before each test in its temp dir, and the
 * test's {@link RedisFleet} (if it made one) and the server stopped after it.
 */
abstract class RedisTestBase {

    @TempDir
    Path dir;

    RedisServer redis;
    RedisFleet fleet;

    @BeforeEach
    void startRedis() throws Exception {
        redis = RedisServer.start(dir);
    }

    @AfterEach
    void stopAll() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
        if (redis != null) {
            redis.close();
        }
    }
}
