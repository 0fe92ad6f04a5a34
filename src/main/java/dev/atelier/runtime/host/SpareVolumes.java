package dev.atelier.runtime.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An empty volume image of the default capacity ({@link #CAPACITY_GB}, the one most creates ask for), formatted
 * ahead and kept beside the instances' volumes as {@code .spare-5g.ext4} (about 67 MB of disk): a launch that needs
 * a new volume of that capacity renames it, instead of waiting for {@code mkfs} and its sync (30–60 ms on a small
 * host, on the path to the instance's start). It is made again in the background once {@link #PAUSE} has passed
 * (the instance that took one is starting then), at the lowest CPU priority. A spare is only ever complete: each
 * maker formats a file of its own name ({@code .spare-5g.ext4.<pid>-<random>.partial}) and renames it, so two
 * servers on one data dir never share a half-made file, and what a killed server left half-made is removed once it
 * is an hour old. Spares outlive the server and are taken by the next one on the data dir.
 */
final class SpareVolumes {
    private static final Logger log = LoggerFactory.getLogger(SpareVolumes.class);
    static final Duration PAUSE = Duration.ofSeconds(3);
    /** The capacity spares are kept of: other capacities are made at launch, and leave nothing behind. */
    static final int CAPACITY_GB = 5;
    /** A partial spare this old is a killed maker's. */
    static final Duration STALE = Duration.ofHours(1);
    /** Spares being made by this process, by path. */
    private static final Set<Path> MAKING = ConcurrentHashMap.newKeySet();

    private SpareVolumes() {
    }

    static Path of(Path volumesDir, int capacityGb) {
        return volumesDir.resolve(".spare-" + capacityGb + "g.ext4");
    }

    /** Where this process formats a spare before renaming it: a name no other maker uses. */
    static Path partial(Path spare) {
        return spare.resolveSibling(spare.getFileName() + "." + ProcessHandle.current().pid() + "-"
                + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong()) + ".partial");
    }

    /** Removes half-made spares of makers killed long ago. */
    static void removeStale(Path volumesDir) throws IOException {
        long before = System.currentTimeMillis() - STALE.toMillis();
        try (var entries = Files.list(volumesDir)) {
            for (Path p : entries.filter(p -> p.getFileName().toString().matches("\\.spare-\\d+g\\.ext4\\..*\\.partial"))
                    .toList()) {
                if (Files.getLastModifiedTime(p).toMillis() < before) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Renames the spare of this capacity to {@code image}; false when there is none to take. */
    static boolean take(Path image, int capacityGb) {
        try {
            Files.move(of(image.getParent(), capacityGb), image, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (NoSuchFileException e) {
            return false; // none made yet, or another launch took it
        } catch (IOException e) {
            log.debug("cannot take the spare volume of {} GB: {}", capacityGb, e.toString());
            return false;
        }
    }

    /** Makes the spare of this capacity, after {@link #PAUSE}, unless it is there or being made. */
    static void replace(Path volumesDir, int capacityGb) {
        Path spare = of(volumesDir, capacityGb);
        if (capacityGb != CAPACITY_GB || !MAKING.add(spare)) {
            return;
        }
        Thread.ofVirtual().name("spare-volume-" + capacityGb + "g").start(() -> {
            try {
                Thread.sleep(PAUSE);
                removeStale(volumesDir);
                if (!Files.exists(spare)) {
                    HostMounts.makeImage(spare, capacityGb, 0, true);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {
                log.debug("no spare volume of {} GB: {}", capacityGb, e.getMessage()); // made the usual way then
            } finally {
                MAKING.remove(spare);
            }
        });
    }
}
