package dev.turnpike.runtime.reload;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches directories and tells, per directory, the name of each file that changed (or
 * {@code null} after an overflow: rescan everything). It only reports: debouncing and deciding what
 * a change means are the listener's, on its own thread. One daemon thread blocks on the watch
 * service, never an event loop.
 */
final class FileWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FileWatcher.class);

    private final WatchService service;
    private final Map<WatchKey, Consumer<String>> listeners = new HashMap<>();
    private final Thread thread;

    FileWatcher() throws IOException {
        service = FileSystems.getDefault().newWatchService();
        thread = new Thread(this::run, "turnpike-watch");
        thread.setDaemon(true);
    }

    /** Reports changes in {@code dir} to {@code listener} (called on the watcher thread: hand off quickly). */
    synchronized void watch(Path dir, Consumer<String> listener) throws IOException {
        WatchKey key = dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        listeners.put(key, listener);
    }

    void start() {
        thread.start();
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = service.take();
                Consumer<String> listener;
                synchronized (this) {
                    listener = listeners.get(key);
                }
                for (WatchEvent<?> event : key.pollEvents()) {
                    if (listener == null) {
                        continue;
                    }
                    if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                        listener.accept(null);
                    } else {
                        listener.accept(((Path) event.context()).getFileName().toString());
                    }
                }
                key.reset();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            log.debug("file watcher stopped");
        } catch (RuntimeException e) {
            log.error("file watcher failed; changes are picked up by the periodic rescan only", e);
        }
    }

    @Override
    public void close() {
        try {
            service.close();
        } catch (IOException e) {
            log.debug("closing the watch service", e);
        }
        thread.interrupt();
    }
}
