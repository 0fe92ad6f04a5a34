package dev.atelier.runtime.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Per-instance CPU, memory and process limits through cgroups: v2 where the host's unified hierarchy has the
 * controllers, v1 otherwise. Each instance gets the group {@code atelier/<instance-id>} in every hierarchy used.
 */
final class Cgroups {
    private static final Path ROOT = Path.of("/sys/fs/cgroup");
    private static final long CPU_PERIOD_US = 100_000;
    private static final Pattern OOM_KILLS = Pattern.compile("oom_kill (\\d+)");

    enum Version { V1, V2 }

    private final Version version;

    private Cgroups(Version version) {
        this.version = version;
    }

    /** The cgroups this host lets us use, or null when it has none with memory, cpu and pids. */
    static Cgroups detect() {
        try {
            Path controllers = ROOT.resolve("cgroup.controllers");
            if (Files.exists(controllers)) {
                String c = Files.readString(controllers);
                if (c.contains("memory") && c.contains("cpu") && c.contains("pids") && Files.isWritable(ROOT)) {
                    return new Cgroups(Version.V2);
                }
            }
            for (String controller : List.of("memory", "cpu", "pids")) {
                if (!Files.isWritable(ROOT.resolve(controller))) {
                    return null;
                }
            }
            return new Cgroups(Version.V1);
        } catch (IOException e) {
            return null;
        }
    }

    Version version() {
        return version;
    }

    /** Creates the instance's groups with its limits; returns the directories a process must join. */
    List<Path> create(String instanceId, long memoryBytes, int vcpus, int maxProcesses) throws IOException {
        List<Path> groups = new ArrayList<>();
        if (version == Version.V2) {
            Path parent = ROOT.resolve("atelier");
            Files.createDirectories(parent);
            Files.writeString(ROOT.resolve("cgroup.subtree_control"), "+memory +cpu +pids");
            Files.writeString(parent.resolve("cgroup.subtree_control"), "+memory +cpu +pids");
            Path g = Files.createDirectories(parent.resolve(instanceId));
            Files.writeString(g.resolve("memory.max"), Long.toString(memoryBytes));
            Files.writeString(g.resolve("memory.swap.max"), "0");
            Files.writeString(g.resolve("cpu.max"), (vcpus * CPU_PERIOD_US) + " " + CPU_PERIOD_US);
            Files.writeString(g.resolve("pids.max"), Integer.toString(maxProcesses));
            groups.add(g);
            return groups;
        }
        Path memory = Files.createDirectories(ROOT.resolve("memory/atelier").resolve(instanceId));
        Path memsw = memory.resolve("memory.memsw.limit_in_bytes");
        if (Files.exists(memsw)) {
            // no swapping past the limit; memory with swap may never be below memory alone, so a group's limits
            // are raised with swap first and lowered with memory first
            try {
                Files.writeString(memsw, Long.toString(memoryBytes));
            } catch (IOException lowering) {
                // below the group's memory limit: written again once that is lowered
            }
            Files.writeString(memory.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
            Files.writeString(memsw, Long.toString(memoryBytes));
        } else {
            Files.writeString(memory.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
        }
        Path cpu = Files.createDirectories(ROOT.resolve("cpu/atelier").resolve(instanceId));
        Files.writeString(cpu.resolve("cpu.cfs_period_us"), Long.toString(CPU_PERIOD_US));
        Files.writeString(cpu.resolve("cpu.cfs_quota_us"), Long.toString(vcpus * CPU_PERIOD_US));
        Path pids = Files.createDirectories(ROOT.resolve("pids/atelier").resolve(instanceId));
        Files.writeString(pids.resolve("pids.max"), Integer.toString(maxProcesses));
        groups.add(memory);
        groups.add(cpu);
        groups.add(pids);
        return groups;
    }

    /**
     * Gives the instance's processes the smallest share of the CPU when others want it ({@code lowest}), or the
     * usual share; its limit stays as it is.
     */
    void lowestPriority(String instanceId, boolean lowest) {
        try {
            if (version == Version.V2) {
                Files.writeString(ROOT.resolve("atelier").resolve(instanceId).resolve("cpu.weight"), lowest ? "1" : "100");
            } else {
                Files.writeString(ROOT.resolve("cpu/atelier").resolve(instanceId).resolve("cpu.shares"),
                        lowest ? "2" : "1024");
            }
        } catch (IOException e) {
            // a host without CPU weights: the server competes as an equal
        }
    }

    /** The instance's existing groups, for another process to join. */
    List<Path> of(String instanceId) {
        List<Path> dirs = version == Version.V2 ? List.of(ROOT.resolve("atelier").resolve(instanceId))
                : List.of(ROOT.resolve("memory/atelier").resolve(instanceId), ROOT.resolve("cpu/atelier").resolve(instanceId),
                ROOT.resolve("pids/atelier").resolve(instanceId));
        return dirs.stream().filter(Files::isDirectory).toList();
    }

    /** How many processes of the instance the kernel killed for running out of memory. */
    long oomKills(String instanceId) {
        Path file = version == Version.V2 ? ROOT.resolve("atelier").resolve(instanceId).resolve("memory.events")
                : ROOT.resolve("memory/atelier").resolve(instanceId).resolve("memory.oom_control");
        try {
            Matcher m = OOM_KILLS.matcher(Files.readString(file));
            return m.find() ? Long.parseLong(m.group(1)) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** Removes the instance's groups (they must be empty of processes). */
    void remove(String instanceId) {
        List<Path> dirs = version == Version.V2 ? List.of(ROOT.resolve("atelier").resolve(instanceId))
                : List.of(ROOT.resolve("memory/atelier").resolve(instanceId), ROOT.resolve("cpu/atelier").resolve(instanceId),
                ROOT.resolve("pids/atelier").resolve(instanceId));
        for (Path d : dirs) {
            try {
                Files.deleteIfExists(d); // rmdir; the kernel's files inside do not count
            } catch (IOException e) {
                // still busy or already gone: the next release tries again
            }
        }
    }
}
