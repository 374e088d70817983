package dev.turnpike.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Deleting what the testkit wrote under the temp directory. */
final class TempFiles {

    private TempFiles() {
    }

    /** Deletes {@code root} and everything under it; what cannot be deleted is left (it is a temp dir). */
    static void deleteTree(Path root) {
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // left for the OS's temp cleaning
                }
            });
        } catch (IOException e) {
            // nothing to walk
        }
    }
}
