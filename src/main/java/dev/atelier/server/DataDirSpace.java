package dev.atelier.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether the data dir's file system has room left for the database, logs and instances' volumes. */
final class DataDirSpace {
    /** Below this, readiness fails: SQLite, logs and local work volumes all write there. */
    static final long MIN_FREE_BYTES = 512L * 1024 * 1024;

    private DataDirSpace() {
    }

    /** Whether there is room; throws when less than {@link #MIN_FREE_BYTES} is, or the file system cannot be read. */
    static String check(Path dataDir) throws IOException {
        var store = Files.getFileStore(dataDir);
        long free = store.getUsableSpace();
        String said = free / (1024 * 1024) + " MiB free of " + store.getTotalSpace() / (1024 * 1024) + " MiB";
        if (free < MIN_FREE_BYTES) {
            throw new IOException("the data dir's file system is nearly full: " + said + " (at least "
                    + MIN_FREE_BYTES / (1024 * 1024) + " MiB needed)");
        }
        return "enough room";
    }
}
