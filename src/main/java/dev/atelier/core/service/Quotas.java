package dev.atelier.core.service;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.model.Demand;
import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Months;
import dev.atelier.core.port.InstanceStore;
import dev.atelier.core.port.QuotaStore;
import dev.atelier.core.port.UsageStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Quotas of a project, and of each user in it, on what runs at once (instances, vCPUs, memory in MiB, GPUs and NPUs)
 * and on use per calendar month (vCPU-hours, GPU-hours). At once, what counts is every instance that runs or is to
 * run (waiting in a queue included), by its flavor; per month, what really ran ({@link MonthlyUse}). A create or
 * start that would go beyond a quota is refused, naming the quota and the use; a running instance whose monthly
 * quota runs out is warned ({@link #WARN_AHEAD} before, at the current use) and then stopped ({@link #judge}). Set
 * by service administrators.
 */
public final class Quotas {
    /** Quotas on what runs at once. */
    public static final List<String> AT_ONCE = List.of("instances", "vcpus", "memory_mib", "gpus");
    /** Every quota: at once, then per month. */
    public static final List<String> RESOURCES = java.util.stream.Stream.concat(AT_ONCE.stream(),
            MonthlyUse.RESOURCES.stream()).toList();
    /** How long before a monthly quota runs out, at the current use, its running instances say so. */
    public static final Duration WARN_AHEAD = Duration.ofMinutes(30);
    /** No quota is above this: far beyond any use, and hours of it still fit in a long of milliseconds. */
    static final long MAX_LIMIT = 1_000_000_000L;
    private static final java.time.format.DateTimeFormatter UTC_MINUTE =
            java.time.format.DateTimeFormatter.ofPattern("HH:mm").withZone(java.time.ZoneOffset.UTC);
    /** How long a running instance's verdict holds at most: a quota set or raised counts within this. */
    static final Duration JUDGE_EVERY = Duration.ofMinutes(1);

    private final QuotaStore store;
    private final InstanceStore instances;
    private final Catalog catalog;
    private final Clock clock;
    private final MonthlyUse monthly;

    public Quotas(QuotaStore store, InstanceStore instances, UsageStore usage, Catalog catalog, Clock clock) {
        this.store = store;
        this.instances = instances;
        this.catalog = catalog;
        this.clock = clock;
        this.monthly = new MonthlyUse(usage, catalog);
    }

    /**
     * A quota as shown: its limit ({@code -1}: none) and what is in use: a count at once, or hours this month (to
     * the hundredth, rounded down).
     */
    public record Usage(String resource, long limit, Number used) {
    }

    /** What a running instance's monthly quotas mean for it: stop it (why), warn its user (what), or neither. */
    public record Verdict(String stopReason, String warning, Duration lookAgain) {
        static final Verdict NONE = new Verdict(null, null, JUDGE_EVERY);

        private Verdict or(Verdict o) {
            Duration sooner = lookAgain.compareTo(o.lookAgain) <= 0 ? lookAgain : o.lookAgain;
            return new Verdict(stopReason != null ? stopReason : o.stopReason,
                    warning != null ? warning : o.warning, sooner);
        }
    }

    /** The quotas of a project ({@code userId} null) or of a user in it, with their use. */
    public List<Usage> usage(String projectId, String userId) {
        Map<String, Long> limits = store.limits(projectId, userId);
        Demand used = inUse(projectId, userId);
        var monthUse = monthly.of(projectId, userId, clock.millis());
        List<Usage> out = new ArrayList<>();
        for (String r : AT_ONCE) {
            out.add(new Usage(r, limits.getOrDefault(r, -1L), amount(used, r)));
        }
        for (String r : MonthlyUse.RESOURCES) {
            out.add(new Usage(r, limits.getOrDefault(r, -1L), monthUse.get(r).hours()));
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
            if (limit == null || limit < -1 || limit > MAX_LIMIT) {
                throw new AtelierException(ErrorCode.INVALID_VALUE, "quota " + resource + " must be -1 (no limit) "
                        + "or 0 to " + MAX_LIMIT);
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
        check(projectId, null, "project " + projectId, flavor);
        check(projectId, ownerId, "user " + ownerId + " in project " + projectId, flavor);
    }

    private void check(String projectId, String userId, String whose, Flavor flavor) {
        Map<String, Long> limits = store.limits(projectId, userId);
        if (limits.isEmpty()) {
            return;
        }
        if (AT_ONCE.stream().anyMatch(limits::containsKey)) { // only then is what runs worth counting
            Demand adding = Demand.of(flavor);
            Demand used = inUse(projectId, userId);
            for (String r : AT_ONCE) {
                Long limit = limits.get(r);
                if (limit != null && amount(used, r) + amount(adding, r) > limit) {
                    throw new AtelierException(ErrorCode.QUOTA_EXCEEDED, "quota exceeded: " + whose + " may run "
                            + limit + " " + r + " at once; " + amount(used, r) + " in use, and this instance needs "
                            + amount(adding, r) + " more. Stop an instance, or ask an administrator for more");
                }
            }
        }
        for (Monthly m : monthlyCounted(limits, flavor, projectId, userId, clock.millis())) {
            if (Duration.ZERO.equals(m.use().leftOf(m.limit()))) {
                throw new AtelierException(ErrorCode.QUOTA_EXCEEDED, "quota exceeded: " + whose + " may use "
                        + m.limit() + " " + m.resource() + " in " + m.use().month() + "; " + m.use().hours()
                        + " used. " + renewal(m.use()) + "; or ask an administrator for more");
            }
        }
    }

    /** A monthly quota a flavor counts toward, with its scope's use this month. */
    private record Monthly(String resource, long limit, MonthlyUse.Use use) {
    }

    /** The monthly quotas among {@code limits} that {@code flavor} counts toward; the use read only if one is. */
    private List<Monthly> monthlyCounted(Map<String, Long> limits, Flavor flavor, String projectId, String userId,
                                  long now) {
        List<String> counted = MonthlyUse.RESOURCES.stream()
                .filter(r -> limits.containsKey(r) && MonthlyUse.units(r, flavor) > 0).toList();
        if (counted.isEmpty()) {
            return List.of();
        }
        Map<String, MonthlyUse.Use> uses = monthly.of(projectId, userId, now);
        return counted.stream().map(r -> new Monthly(r, limits.get(r), uses.get(r))).toList();
    }

    /**
     * What the monthly quotas of its project and its owner mean for a running instance: stopped where one that its
     * flavor counts toward is used up, warned where one will be within {@link #WARN_AHEAD} at the current use.
     */
    public Verdict judge(dev.atelier.core.model.Instance inst) {
        Flavor flavor = catalog.flavor(inst.flavorId()).orElse(null);
        if (flavor == null) {
            return Verdict.NONE;
        }
        long now = clock.millis();
        return judge(inst.projectId(), null, "project " + inst.projectId(), flavor, now)
                .or(judge(inst.projectId(), inst.ownerId(), "user " + inst.ownerId() + " in project "
                        + inst.projectId(), flavor, now));
    }

    private Verdict judge(String projectId, String userId, String whose, Flavor flavor, long now) {
        Verdict out = Verdict.NONE;
        for (Monthly m : monthlyCounted(store.limits(projectId, userId), flavor, projectId, userId, now)) {
            String r = m.resource();
            long limit = m.limit();
            MonthlyUse.Use use = m.use();
            Duration left = use.leftOf(limit);
            if (left == null) {
                continue;
            }
            if (left.isZero()) {
                return new Verdict("stopped: the monthly quota of " + whose + " is used up (" + limit + " " + r
                        + " in " + use.month() + ", " + use.hours() + " used). " + renewal(use), null, Duration.ZERO);
            }
            // said the same on every look while the use goes on as it does: a changed notice is a new event
            String warning = left.compareTo(WARN_AHEAD) > 0 ? null : "the monthly quota of " + whose + " ("
                    + limit + " " + r + " in " + use.month() + ") is nearly used up: at the current use it runs out "
                    + "at about " + UTC_MINUTE.format(java.time.Instant.ofEpochMilli(now + left.toMillis() + 30_000))
                    + " UTC, and this instance will be stopped then";
            Duration next = warning == null ? left.minus(WARN_AHEAD) : left;
            out = out.or(new Verdict(null, warning, next));
        }
        return out;
    }

    private static String renewal(MonthlyUse.Use use) {
        return "It renews on " + java.time.Instant.ofEpochMilli(Months.end(use.month())).toString().substring(0, 10)
                + " (UTC)";
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
