package dev.atelier.server;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code atelier quota show|set}: quotas on what a project, or a user in it, runs at once and uses per month, through
 * the running server's administration API (docs/capacity.md). They are counted against the instances the server drives, so
 * unlike users and keys they cannot be changed on a stopped server's data dir.
 */
@Command(name = "quota", mixinStandardHelpOptions = true,
        description = "Quotas on what a project, or a user in it, runs at once and uses per month: show, set.",
        subcommands = {QuotaCommands.Show.class, QuotaCommands.Set.class})
final class QuotaCommands {
    private QuotaCommands() {
    }

    static String path(String project, String user) {
        return AdminCommands.ADMIN_API + "/projects/" + AdminCommands.enc(project)
                + (user == null ? "" : "/users/" + AdminCommands.enc(user)) + "/quotas";
    }

    static Object needsServer(AdminCommands.Offline offline) {
        throw new AtelierException(ErrorCode.UNAVAILABLE, "quotas are read and set through the running server: "
                + "start it, or give --url");
    }

    @Command(name = "show", description = "Show the quotas of a project (or of a user in it) and what is in use.")
    static final class Show implements Callable<Integer> {
        @Mixin
        AdminCommands.Target target;
        @Parameters(index = "0", description = "Project name or id.")
        String project;
        @Option(names = "--user", description = "A user's quotas in the project (name or id).")
        String user;

        @Override
        public Integer call() throws Exception {
            return target.run("GET", path(project, user), null, QuotaCommands::needsServer);
        }
    }

    @Command(name = "set", description = "Set quotas of a project (or of a user in it); -1 lifts one.")
    static final class Set implements Callable<Integer> {
        @Mixin
        AdminCommands.Target target;
        @Parameters(index = "0", description = "Project name or id.")
        String project;
        @Option(names = "--user", description = "Set a user's quotas in the project (name or id).")
        String user;
        @Option(names = "--instances", description = "Instances running at once.")
        Long instances;
        @Option(names = "--vcpus", description = "vCPUs running at once.")
        Long vcpus;
        @Option(names = "--memory-mib", description = "Memory (MiB) running at once.")
        Long memoryMib;
        @Option(names = "--gpus", description = "GPUs and NPUs running at once.")
        Long gpus;
        @Option(names = "--vcpu-hours", description = "vCPU-hours per calendar month (UTC), counted from what ran.")
        Long vcpuHours;
        @Option(names = "--gpu-hours", description = "GPU- and NPU-hours per calendar month (UTC), counted from what "
                + "ran.")
        Long gpuHours;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> quotas = new LinkedHashMap<>();
            put(quotas, "instances", instances);
            put(quotas, "vcpus", vcpus);
            put(quotas, "memory_mib", memoryMib);
            put(quotas, "gpus", gpus);
            put(quotas, "vcpu_hours", vcpuHours);
            put(quotas, "gpu_hours", gpuHours);
            if (quotas.isEmpty()) {
                System.err.println("atelier: name at least one quota: --instances, --vcpus, --memory-mib, --gpus, "
                        + "--vcpu-hours, --gpu-hours");
                return 2;
            }
            return target.run("PUT", path(project, user), Map.of("quotas", quotas), QuotaCommands::needsServer);
        }

        private static void put(Map<String, Object> quotas, String name, Long value) {
            if (value != null) {
                quotas.put(name, value);
            }
        }
    }
}
