package dev.atelier.core.service;

import dev.atelier.core.model.Demand;
import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Months;
import dev.atelier.core.port.UsageStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Use per calendar month (UTC), counted from what really ran: vCPU-hours and GPU-hours (GPUs and NPUs alike), each
 * server's time multiplied by its flavor's vCPUs or accelerators. Read from {@link UsageStore}; the servers running
 * now are counted up to the moment of asking.
 */
final class MonthlyUse {
    static final String VCPU_HOURS = "vcpu_hours";
    static final String GPU_HOURS = "gpu_hours";
    static final List<String> RESOURCES = List.of(VCPU_HOURS, GPU_HOURS);
    private static final long HOUR_MS = Duration.ofHours(1).toMillis();

    private final UsageStore store;
    private final Catalog catalog;

    MonthlyUse(UsageStore store, Catalog catalog) {
        this.store = store;
        this.catalog = catalog;
    }

    /** One scope's use of one resource in a month, and how fast its servers running now add to it. */
    record Use(String resource, String month, long unitMillis, long unitsRunning) {

        double hours() {
            return Math.floor(unitMillis * 100.0 / HOUR_MS) / 100;
        }

        /** How long until {@code limitHours} are used at the current rate; null when nothing running adds to it. */
        Duration leftOf(long limitHours) {
            long left = limitHours * HOUR_MS - unitMillis;
            if (left <= 0) {
                return Duration.ZERO;
            }
            return unitsRunning == 0 ? null : Duration.ofMillis((left + unitsRunning - 1) / unitsRunning);
        }
    }

    /** The use of each monthly resource in {@code now}'s month, of a project ({@code userId} null) or a user in it. */
    Map<String, Use> of(String projectId, String userId, long now) {
        String month = Months.of(now);
        Map<String, Long> ran = store.runMillis(projectId, userId, month, now);
        Map<String, Long> running = store.running(projectId, userId);
        return Map.of(VCPU_HOURS, use(VCPU_HOURS, month, ran, running),
                GPU_HOURS, use(GPU_HOURS, month, ran, running));
    }

    private Use use(String resource, String month, Map<String, Long> ran, Map<String, Long> running) {
        long unitMillis = 0;
        for (var e : ran.entrySet()) {
            unitMillis += units(resource, e.getKey()) * e.getValue();
        }
        long unitsRunning = 0;
        for (var e : running.entrySet()) {
            unitsRunning += units(resource, e.getKey()) * e.getValue();
        }
        return new Use(resource, month, unitMillis, unitsRunning);
    }

    /** How many of the resource's units one server of the flavor takes; a flavor no longer offered, none. */
    private long units(String resource, String flavorId) {
        return catalog.flavor(flavorId).map(f -> units(resource, f)).orElse(0L);
    }

    static long units(String resource, Flavor flavor) {
        Demand d = Demand.of(flavor);
        return VCPU_HOURS.equals(resource) ? d.vcpus() : d.accelerators();
    }
}
