package dev.atelier.core.model;

import java.util.List;

/**
 * A compute size. Memory in MiB. {@code gpu} and {@code ascend} describe accelerators (null when none);
 * {@code soldOut} flavors are listed but cannot be used; {@code extendedResources}: what a cluster is asked for
 * besides CPU and memory, by the names its nodes offer them under (e.g. {@code nvidia.com/gpu: 1}); empty for the
 * usual names of its accelerators.
 */
public record Flavor(String id, String name, String category, String arch, String description, Feature feature,
                     boolean free, int vcpus, long memoryMib, List<String> storages, int evsMaxSizeGb, Gpu gpu,
                     Ascend ascend, boolean soldOut, int maxProcesses, java.util.Map<String, Integer> extendedResources) {

    /** Processes (and threads) an instance may have at once where the runtime enforces it. */
    public static final int DEFAULT_MAX_PROCESSES = 1024;

    public Flavor {
        storages = List.copyOf(storages);
        extendedResources = extendedResources == null ? java.util.Map.of() : java.util.Map.copyOf(extendedResources);
    }

    /**
     * The extended resources a cluster is asked for: those the operator named, else the usual names of this
     * flavor's accelerators ({@code nvidia.com/gpu}, {@code huawei.com/Ascend910}).
     */
    public java.util.Map<String, Integer> clusterResources() {
        if (!extendedResources.isEmpty()) {
            return extendedResources;
        }
        java.util.Map<String, Integer> usual = new java.util.TreeMap<>();
        if (gpu != null && gpu.count() > 0) {
            usual.put("nvidia.com/gpu", gpu.count());
        }
        if (ascend != null && ascend.npu() > 0) {
            usual.put("huawei.com/Ascend910", ascend.npu());
        }
        return usual;
    }

    /** A CPU-only flavor that is on sale. */
    public static Flavor cpu(String id, String name, String description, Feature feature, boolean free, int vcpus,
                             long memoryMib, int evsMaxSizeGb) {
        return new Flavor(id, name, "CPU", "x86_64", description, feature, free, vcpus, memoryMib, List.of("EVS"),
                evsMaxSizeGb, null, null, false, DEFAULT_MAX_PROCESSES, null);
    }

    public Flavor withSoldOut(boolean value) {
        return new Flavor(id, name, category, arch, description, feature, free, vcpus, memoryMib, storages,
                evsMaxSizeGb, gpu, ascend, value, maxProcesses,
                extendedResources);
    }

    /** GPUs of a flavor: count, memory per card (e.g. "32GB") and card type. */
    public record Gpu(int count, String memory, String type) {
    }

    /** Ascend NPUs of a flavor. */
    public record Ascend(int npu, String npuMemory, String type, String aiCore, String aiCpu, String typeAlias) {
    }
}
