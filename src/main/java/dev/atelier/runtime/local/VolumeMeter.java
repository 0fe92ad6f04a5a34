package dev.atelier.runtime.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/** The work volumes that are plain directories, whose capacity cannot be enforced: measured now and then. */
final class VolumeMeter {
    private final Function<String, Path> home;

    VolumeMeter(Function<String, Path> home) {
        this.home = home;
    }

    /**
     * When a volume is a plain directory its capacity cannot be enforced; it is measured every 10 s, and what the
     * last measurement found is said until the next.
     */
    private final Map<String, Measured> lastMeasured = new java.util.concurrent.ConcurrentHashMap<>();

    private record Measured(long at, String notice) {
    }

    String overCapacity(String instanceId, int capacityGb) {
        long now = System.currentTimeMillis();
        Measured last = lastMeasured.get(instanceId);
        if (last != null && now - last.at() < 10_000) {
            return last.notice();
        }
        String notice = measure(instanceId, capacityGb);
        lastMeasured.put(instanceId, new Measured(now, notice));
        return notice;
    }

    private String measure(String instanceId, int capacityGb) {
        long used;
        try (var files = Files.walk(home.apply(instanceId).resolve("work"))) {
            used = files.filter(f -> Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException | java.io.UncheckedIOException e) {
            return null;
        }
        long capacity = capacityGb * 1024L * 1024 * 1024;
        return used <= capacity ? null : String.format(java.util.Locale.ROOT, "the work volume holds %.1f GB, more "
                + "than its %d GB capacity, which this host cannot enforce; please free space",
                used / (1024.0 * 1024 * 1024), capacityGb);
    }

}
