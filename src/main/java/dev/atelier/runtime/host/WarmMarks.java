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
    private static final ProcessHandle SELF = ProcessHandle.current();

    private final Path dir;

    WarmMarks(Path dir) {
        this.dir = dir;
    }

    void mark(String id) {
        try {
            Files.createDirectories(dir);
            Files.writeString(file(id), SELF.pid() + " " + startOf(SELF).orElse(0L) + "\n");
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

    /** Whether a live replica (this one or another of the host) started a server of its pool under this id. */
    boolean heldByALiveReplica(String id) {
        try {
            String[] owner = Files.readString(file(id)).trim().split(" ");
            Optional<ProcessHandle> p = ProcessHandle.of(Long.parseLong(owner[0]));
            return p.isPresent() && p.get().isAlive() && startOf(p.get()).orElse(-1L) == Long.parseLong(owner[1]);
        } catch (IOException | RuntimeException e) { // no mark, or not one of ours
            return false;
        }
    }

    private Path file(String id) {
        if (!id.matches("[0-9a-f-]{36}")) {
            throw new IllegalArgumentException("not an instance id: " + id);
        }
        return dir.resolve(id);
    }

    /** When the process started, in ms (a pid that was used again has another start). */
    private static Optional<Long> startOf(ProcessHandle p) {
        return p.info().startInstant().map(java.time.Instant::toEpochMilli);
    }
}
