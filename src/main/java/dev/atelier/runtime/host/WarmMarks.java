package dev.atelier.runtime.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which ids on this host are servers of a warm pool, and whose: a file {@code <dir>/<id>} naming the process of the
 * replica that started it (its pid and start time). Replicas of one host share the data dir; each sweeps what the
 * engine shows of instances that have no record, and a pool's server has none until its instance's launch takes it.
 * A mark whose replica is gone marks nothing: what that replica left is an orphan like any other.
 */
final class WarmMarks {
    private static final Logger log = LoggerFactory.getLogger(WarmMarks.class);
    private static final long SELF = ProcessHandle.current().pid();

    /** Whose a marked server is. */
    enum Holder { NOBODY, THIS_PROCESS, ANOTHER_REPLICA }

    private final Path dir;

    WarmMarks(Path dir) {
        this.dir = dir;
    }

    void mark(String id) {
        try {
            Files.createDirectories(dir);
            Files.writeString(file(id), SELF + " " + startTicks(SELF).orElse(-1L) + "\n");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot mark warm server " + id, e);
        }
    }

    void unmark(String id) {
        try {
            Files.deleteIfExists(file(id));
        } catch (IOException e) {
            log.warn("cannot remove the mark of warm server {}: {}", id, e.getMessage());
        }
    }

    /** Who holds a server under this id: a live replica (this process or another), or nobody. */
    Holder holder(String id) {
        try {
            String[] owner = Files.readString(file(id)).trim().split(" ");
            long pid = Long.parseLong(owner[0]);
            Optional<Long> start = startTicks(pid);
            if (start.isEmpty() || start.get() != Long.parseLong(owner[1])) {
                return Holder.NOBODY; // gone, or its pid is another process's now
            }
            return pid == SELF ? Holder.THIS_PROCESS : Holder.ANOTHER_REPLICA;
        } catch (IOException | RuntimeException e) { // no mark, or not one of ours
            return Holder.NOBODY;
        }
    }

    /** Whether a live replica (this one or another of the host) started a server of its pool under this id. */
    boolean heldByALiveReplica(String id) {
        return holder(id) != Holder.NOBODY;
    }

    private Path file(String id) {
        if (!id.matches("[0-9a-f-]{36}")) {
            throw new IllegalArgumentException("not an instance id: " + id);
        }
        return dir.resolve(id);
    }

    /**
     * When the process started, in clock ticks since the host booted ({@code /proc/<pid>/stat}, field 22): fixed for
     * the process's life, unlike a wall-clock time worked out from it, and another for a process given the same
     * pid later. Empty when the process is gone.
     */
    static Optional<Long> startTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(Long.parseLong(fields[19])); // field 22 of the whole line: the third after ')' is 3
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
