package dev.turnpike.runtime.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a set of files looks like now: for each, the file a symlink chain ends at, its inode (where
 * the platform has one), modification time and size. Two stamps differ when any file was rewritten, replaced, removed, or re-pointed by a
 * symlink swap (a Kubernetes secret mount swaps {@code ..data} to a new directory, and the files
 * keep their names but end elsewhere). Polling this costs a few {@code stat}s; unlike directory
 * watches it needs no care for which directory of a symlink chain changed.
 */
record FileStamps(List<String> stamps) {

    static FileStamps of(List<Path> files) {
        List<String> out = new ArrayList<>(files.size());
        for (Path f : files) {
            out.add(stamp(f));
        }
        return new FileStamps(out);
    }

    private static String stamp(Path file) {
        try {
            Path real = file.toRealPath();
            BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
            // The inode tells a file renamed over the old one apart even within one timestamp tick.
            return real + "|" + a.fileKey() + "|" + a.lastModifiedTime().toMillis() + "|" + a.size();
        } catch (IOException e) {
            return file + "|missing";
        }
    }

    boolean same(FileStamps other) {
        return other != null && Objects.equals(stamps, other.stamps);
    }
}
