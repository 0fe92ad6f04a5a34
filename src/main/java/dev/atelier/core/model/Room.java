package dev.atelier.core.model;

/**
 * How much a pool holds. A limit below zero is no limit: a pool of a cluster whose nodes could not be read, or an
 * operator's pool limited by instances only.
 */
public record Room(int instances, long vcpus, long memoryMib, long accelerators) {
    public static final Room UNLIMITED = new Room(-1, -1, -1, -1);

    /** Whether {@code d} fits in this room. */
    public boolean holds(Demand d) {
        return within(d.instances(), instances) && within(d.vcpus(), vcpus) && within(d.memoryMib(), memoryMib)
                && within(d.accelerators(), accelerators);
    }

    /** Whether {@code add} fits beside {@code used}. */
    public boolean holds(Demand used, Demand add) {
        return holds(used.plus(add));
    }

    private static boolean within(long wanted, long limit) {
        return limit < 0 || wanted <= limit;
    }

    /** What the room names, for a message: "2 instances, 8 vCPUs, 16384 MiB", leaving out what has no limit. */
    public String describe() {
        StringBuilder s = new StringBuilder();
        append(s, instances, "instances");
        append(s, vcpus, "vCPUs");
        append(s, memoryMib, "MiB of memory");
        append(s, accelerators, "accelerators");
        return s.isEmpty() ? "no limit" : s.toString();
    }

    private static void append(StringBuilder s, long value, String unit) {
        if (value >= 0) {
            s.append(s.isEmpty() ? "" : ", ").append(value).append(' ').append(unit);
        }
    }
}
