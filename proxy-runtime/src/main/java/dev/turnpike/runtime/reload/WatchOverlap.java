package dev.turnpike.runtime.reload;

import java.nio.file.Path;

/**
 * The directories the proxy watches (the configuration file's and the plugin directory) are
 * watched whole: every change to any file in them wakes the watcher. An access log written into
 * one of them wakes it for every line, about a microsecond of CPU per request in
 * {@code docs/PERFORMANCE.md}'s measurement, so it is worth a warning at start.
 */
public final class WatchOverlap {

    private WatchOverlap() {
    }

    /** The warning for an access log in a watched directory, or null (no file, or elsewhere). */
    public static String warning(Path accessLog, Path configFile, Path dropDir) {
        if (accessLog == null) {
            return null;
        }
        Path logDir = accessLog.toAbsolutePath().normalize().getParent();
        String what = logDir == null ? null
                : logDir.equals(parentOf(configFile)) ? "the configuration file's directory"
                : logDir.equals(dropDir == null ? null : dropDir.toAbsolutePath().normalize()) ? "the plugin directory"
                : null;
        return what == null ? null : "access_log.file " + accessLog + " is in " + what + " (" + logDir
                + "), which is watched for changes: every line written wakes the watcher and costs CPU per request."
                + " Put the access log in a directory of its own";
    }

    private static Path parentOf(Path file) {
        return file == null ? null : file.toAbsolutePath().normalize().getParent();
    }
}
