package dev.turnpike.runtime.plugin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The directory users drop plugin jars into, and the rule for which of its entries are plugin
 * candidates: regular files (or links to them) named {@code *.jar}, except dot files and
 * {@code *.tmp}. Directories never are, whatever their name: the Maven modules of the bundled
 * plugins ({@code plugins/load-balancer/}) live in the same folder.
 *
 * <p>Stateless apart from the path; safe from any thread, though the host only uses it from the
 * management thread.
 */
public final class DropDirectory {

    private final Path dir;

    public DropDirectory(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    public Path path() {
        return dir;
    }

    /**
     * Whether a file name is one a plugin jar may have. A name test only (no I/O), so a directory
     * watcher can filter its events with it before touching the disk.
     */
    public static boolean isCandidateName(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        // Dot files and *.tmp are what editors and copy tools write before the final rename.
        return !fileName.startsWith(".") && !lower.endsWith(".tmp") && lower.endsWith(".jar");
    }

    /** Whether {@code file} is a plugin candidate: a candidate name on a regular file. */
    public static boolean isCandidate(Path file) {
        Path name = file.getFileName();
        return name != null && isCandidateName(name.toString()) && Files.isRegularFile(file);
    }

    /** Whether the directory exists (it may legitimately not, when no plugin is installed). */
    public boolean exists() {
        return Files.isDirectory(dir);
    }

    /**
     * The candidate jars, sorted by file name (the order that settles duplicate plugin ids).
     *
     * @throws IOException when the directory exists but cannot be listed
     */
    public List<Path> jars() throws IOException {
        if (!exists()) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            entries.filter(DropDirectory::isCandidate).forEach(out::add);
        }
        out.sort(Comparator.comparing(p -> p.getFileName().toString()));
        return out;
    }

    @Override
    public String toString() {
        return dir.toString();
    }
}
