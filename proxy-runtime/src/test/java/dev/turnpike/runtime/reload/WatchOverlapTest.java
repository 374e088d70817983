package dev.turnpike.runtime.reload;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@link WatchOverlap}: an access log in a watched directory is named, with the way out. */
class WatchOverlapTest {

    private static final Path CONFIG = Path.of("/etc/turnpike/proxy.yaml");
    private static final Path PLUGINS = Path.of("/opt/turnpike/plugins");

    @Test
    void aLogBesideTheConfigurationFileIsWarnedOf() {
        String w = WatchOverlap.warning(Path.of("/etc/turnpike/./access.log"), CONFIG, PLUGINS);
        assertTrue(w.startsWith("access_log.file /etc/turnpike/./access.log is in the configuration file's directory (/etc/turnpike)"), w);
        assertTrue(w.endsWith("Put the access log in a directory of its own"), w);
    }

    @Test
    void aLogInThePluginDirectoryIsWarnedOf() {
        String w = WatchOverlap.warning(Path.of("/opt/turnpike/plugins/access.log"), CONFIG, PLUGINS);
        assertTrue(w.contains("is in the plugin directory (/opt/turnpike/plugins)"), w);
    }

    @Test
    void aLogElsewhereOrNoneIsFine() {
        assertNull(WatchOverlap.warning(Path.of("/var/log/turnpike/access.log"), CONFIG, PLUGINS));
        assertNull(WatchOverlap.warning(Path.of("/etc/turnpike/logs/access.log"), CONFIG, PLUGINS), "a subdirectory is not watched");
        assertNull(WatchOverlap.warning(null, CONFIG, PLUGINS));
    }
}
