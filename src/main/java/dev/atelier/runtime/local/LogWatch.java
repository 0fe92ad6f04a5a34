package dev.atelier.runtime.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports every write to the log of a starting server, found with the kernel's file notifications (inotify) on the
 * directory of instance logs: a starting server is then looked at about twenty times, not forty times a second.
 * Where the host cannot watch the directory, nothing is reported and servers are polled as before.
 */
final class LogWatch {
    private static final Logger log = LoggerFactory.getLogger(LogWatch.class);

    private static final int TAIL_LINES = 15;
    private final Path logs;
    /** Starting servers whose log writes are reported. */
    private final java.util.Set<String> awaited = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile java.util.function.Consumer<String> changed;
    private java.nio.file.WatchService logWatch;

    LogWatch(Path logs) {
        this.logs = logs;
    }

    /** Reports the instance's log writes from now on; false where nothing is reported (then poll). */
    boolean await(String instanceId) {
        if (changed == null) {
            return false;
        }
        awaited.add(instanceId);
        return true;
    }

    /** Stops reporting the instance's log writes: it is up, gone or stopped. */
    void forget(String instanceId) {
        awaited.remove(instanceId);
    }

    /** Reports a change of an awaited instance that the log does not show (its server exited). */
    void reportIfAwaited(String instanceId) {
        if (awaited.contains(instanceId)) {
            report(instanceId);
        }
    }

    synchronized void start(java.util.function.Consumer<String> listener) {
        if (logWatch != null) {
            changed = listener;
            return;
        }
        try {
            Files.createDirectories(logs, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            logWatch = logs.getFileSystem().newWatchService();
            logs.register(logWatch, java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY,
                    java.nio.file.StandardWatchEventKinds.ENTRY_CREATE);
        } catch (IOException | UnsupportedOperationException e) {
            log.warn("cannot watch {} ({}); starting servers are polled instead", logs, e.toString());
            closeLogWatch();
            return;
        }
        changed = listener;
        java.nio.file.WatchService watch = logWatch;
        Thread.ofPlatform().daemon().name("instance-log-watch").start(() -> watchLogs(watch));
    }

    private void watchLogs(java.nio.file.WatchService watch) {
        while (true) {
            java.nio.file.WatchKey key;
            try {
                key = watch.take();
            } catch (InterruptedException | java.nio.file.ClosedWatchServiceException e) {
                return;
            }
            for (var event : key.pollEvents()) {
                if (event.kind() == java.nio.file.StandardWatchEventKinds.OVERFLOW) {
                    awaited.forEach(this::report); // some were lost: look at every starting server
                } else if (event.context() instanceof Path name && name.toString().endsWith(".log")) {
                    String id = name.toString().substring(0, name.toString().length() - ".log".length());
                    if (awaited.contains(id)) {
                        report(id);
                    }
                }
            }
            if (!key.reset()) { // the directory went away: poll as where it cannot be watched
                log.warn("the directory of instance logs is no longer watched; starting servers are polled instead");
                synchronized (this) {
                    if (logWatch == watch) {
                        closeLogWatch();
                    }
                }
                return;
            }
        }
    }

    private void report(String instanceId) {
        var listener = changed;
        if (listener == null) {
            return;
        }
        try {
            listener.accept(instanceId);
        } catch (RuntimeException e) {
            log.warn("instance {}: reporting a change failed: {}", instanceId, e.toString());
        }
    }

    synchronized void close() {
        closeLogWatch();
    }

    private void closeLogWatch() {
        changed = null;
        if (logWatch != null) {
            try {
                logWatch.close();
            } catch (IOException e) {
                log.debug("closing the log watch: {}", e.toString());
            }
            logWatch = null;
        }
    }

    /** The last lines of the server's log, with the instance token blanked out. */
    String tail(String instanceId, String token) {
        Path file = logs.resolve(instanceId + ".log");
        try {
            java.util.List<String> lines = java.nio.file.Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8);
            String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
            return "Last lines of its log:\n" + tail.replace(token, "<token>");
        } catch (java.io.IOException e) {
            return "Its log could not be read: " + e.getMessage();
        }
    }
}
