package dev.atelier.core.model;

/**
 * What instances take of a pool: a count of instances, vCPUs, memory in MiB and accelerators (GPUs and NPUs
 * alike). Also a pool's {@link Room}'s measure of what is used.
 */
public record Demand(int instances, long vcpus, long memoryMib, long accelerators) {
    public static final Demand NONE = new Demand(0, 0, 0, 0);

    /** What one instance of the flavor takes. */
    public static Demand of(Flavor f) {
        long accelerators = (f.gpu() == null ? 0 : f.gpu().count()) + (f.ascend() == null ? 0 : f.ascend().npu());
        return new Demand(1, f.vcpus(), f.memoryMib(), accelerators);
    }

    public Demand plus(Demand o) {
        return new Demand(instances + o.instances, vcpus + o.vcpus, memoryMib + o.memoryMib,
                accelerators + o.accelerators);
    }

    /** {@code n} times this demand: what {@code n} instances of one flavor take. */
    public Demand times(long n) {
        return new Demand((int) (instances * n), vcpus * n, memoryMib * n, accelerators * n);
    }

    public Demand minus(Demand o) {
        return new Demand(instances - o.instances, vcpus - o.vcpus, memoryMib - o.memoryMib,
                accelerators - o.accelerators);
    }
}
