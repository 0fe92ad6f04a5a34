package dev.atelier.core.service;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.model.Demand;
import dev.atelier.core.model.Flavor;
import dev.atelier.core.port.InstanceStore;
import dev.atelier.core.port.QuotaStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Quotas on what a project, and each user in it, runs at once: instances, vCPUs, memory (MiB) and GPUs (and NPUs).
 * What counts is every instance that runs or is to run (waiting in a queue included), by its flavor. A create or
 * start that would go beyond a quota is refused, naming the quota and the use. Set by service administrators.
 */
public final class Quotas {
    public static final List<String> RESOURCES = List.of("instances", "vcpus", "memory_mib", "gpus");

    private final QuotaStore store;
    private final InstanceStore instances;
    private final Catalog catalog;
    private final Clock clock;

    public Quotas(QuotaStore store, InstanceStore instances, Catalog catalog, Clock clock) {
        this.store = store;
        this.instances = instances;
        this.catalog = catalog;
        this.clock = clock;
    }

    /** A quota as shown: its limit ({@code -1}: none) and what is in use. */
    public record Usage(String resource, long limit, long used) {
    }

    /** The quotas of a project ({@code userId} null) or of a user in it, with their use. */
    public List<Usage> usage(String projectId, String userId) {
        Map<String, Long> limits = store.limits(projectId, userId);
        Demand used = inUse(projectId, userId);
        List<Usage> out = new ArrayList<>();
        for (String r : RESOURCES) {
            out.add(new Usage(r, limits.getOrDefault(r, -1L), amount(used, r)));
        }
        return out;
    }

    /** Sets quotas ({@code -1}: none) of a project or of a user in it; service administrators only. */
    public List<Usage> set(Caller caller, String projectId, String userId, Map<String, Long> limits) {
        caller.requireServiceAdministrator("set quotas");
        limits.forEach((resource, limit) -> {
            if (!RESOURCES.contains(resource)) {
                throw new AtelierException(ErrorCode.INVALID_VALUE, "quota resource must be one of " + RESOURCES
                        + ", not " + resource);
            }
            if (limit == null || limit < -1) {
                throw new AtelierException(ErrorCode.INVALID_VALUE, "quota " + resource + " must be -1 (no limit) "
                        + "or more");
            }
        });
        long now = clock.millis();
        limits.forEach((resource, limit) -> store.set(projectId, userId, resource, limit, now));
        return usage(projectId, userId);
    }

    /**
     * Refuses running one more instance of {@code flavor} for {@code ownerId} in the project where a quota of the
     * project or of the user would be exceeded. Counted, then written: two requests at the very same moment can
     * both pass.
     */
    public void checkRoomFor(String projectId, String ownerId, Flavor flavor) {
        Demand adding = Demand.of(flavor);
        check(projectId, null, "project " + projectId, adding);
        check(projectId, ownerId, "user " + ownerId + " in project " + projectId, adding);
    }

    private void check(String projectId, String userId, String whose, Demand adding) {
        Map<String, Long> limits = store.limits(projectId, userId);
        if (limits.isEmpty()) {
            return;
        }
        Demand used = inUse(projectId, userId);
        for (String r : RESOURCES) {
            Long limit = limits.get(r);
            if (limit != null && amount(used, r) + amount(adding, r) > limit) {
                throw new AtelierException(ErrorCode.QUOTA_EXCEEDED, "quota exceeded: " + whose + " may run "
                        + limit + " " + r + " at once; " + amount(used, r) + " in use, and this instance needs "
                        + amount(adding, r) + " more. Stop an instance, or ask an administrator for more");
            }
        }
    }

    private Demand inUse(String projectId, String userId) {
        Demand used = Demand.NONE;
        for (var e : instances.flavorsRunning(projectId, userId).entrySet()) {
            var flavor = catalog.flavor(e.getKey());
            if (flavor.isPresent()) {
                used = used.plus(Demand.of(flavor.get()).times(e.getValue()));
            }
        }
        return used;
    }

    private static long amount(Demand d, String resource) {
        return switch (resource) {
            case "instances" -> d.instances();
            case "vcpus" -> d.vcpus();
            case "memory_mib" -> d.memoryMib();
            default -> d.accelerators();
        };
    }
}
