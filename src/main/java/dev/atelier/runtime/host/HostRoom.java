package dev.atelier.runtime.host;

import dev.atelier.core.model.Room;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What the host holds for instances, measured: its memory less a reserve for itself and Atelier, its CPUs shared
 * {@link #CPU_SHARING} ways (a notebook computes in bursts, and each instance's CPU limit keeps one from starving
 * the rest; memory cannot be shared that way, so it is not), its GPUs and NPUs. No limit on the count of instances.
 */
public final class HostRoom {
    /** How many vCPUs of flavors one host CPU is offered as. */
    public static final int CPU_SHARING = 4;
    private static final long MIB = 1024 * 1024;

    private HostRoom() {
    }

    public static Room measure() {
        return measureLess(0);
    }

    /** The host's room less {@code heldMib} of memory that something else holds (servers kept warm). */
    public static Room measureLess(long heldMib) {
        long totalMib = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize() / MIB;
        Room room = of(Runtime.getRuntime().availableProcessors(), totalMib, devices("nvidia") + devices("davinci"));
        return new Room(room.instances(), room.vcpus(), Math.max(0, room.memoryMib() - heldMib), room.accelerators());
    }

    /** The room of a host of {@code cpus} CPUs, {@code memoryMib} of memory and {@code accelerators} devices. */
    static Room of(int cpus, long memoryMib, long accelerators) {
        long reserve = Math.max(1024, memoryMib / 10);
        return new Room(-1, (long) cpus * CPU_SHARING, Math.max(0, memoryMib - reserve), accelerators);
    }

    /** The share of the host's memory available now, from /proc/meminfo (1 where it cannot be read). */
    public static double freeMemoryShare() {
        try {
            long total = -1;
            long available = -1;
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    total = Long.parseLong(line.replaceAll("[^0-9]", ""));
                } else if (line.startsWith("MemAvailable:")) {
                    available = Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            return total > 0 && available >= 0 ? (double) available / total : 1;
        } catch (IOException | RuntimeException e) {
            return 1;
        }
    }

    /** Devices {@code /dev/<prefix><n>}: one per GPU or NPU. */
    private static long devices(String prefix) {
        try (Stream<Path> dev = Files.list(Path.of("/dev"))) {
            return dev.filter(p -> p.getFileName().toString().matches(prefix + "[0-9]+")).count();
        } catch (IOException e) {
            return 0;
        }
    }
}
