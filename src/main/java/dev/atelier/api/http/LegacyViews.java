package dev.atelier.api.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.atelier.core.model.Flavor;
import dev.atelier.core.service.QueueBoard;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Lease;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The legacy (demanager) shapes of reference §4.3 and seed 004: a second rendering of the same instances.
 * Members without a value are written as JSON null, as the examples show them.
 */
final class LegacyViews {
    private LegacyViews() {
    }

    /** The v1 status seen through the legacy API (reference §3.2). */
    static String status(InstanceStatus s) {
        return switch (s) {
            case INIT, CREATING -> "CREATING";
            case STARTING -> "STARTING";
            case RUNNING, SNAPSHOTTING -> "RUNNING";
            case STOPPING -> "STOPPING";
            case STOPPED -> "STOPPED";
            case CREATE_FAILED -> "CREATE_FAILED";
            case START_FAILED -> "START_FAILED";
            case DELETING, DELETED -> "DELETED";
            case DELETE_FAILED, ERROR, FROZEN -> "UNAVAILABLE";
        };
    }

    /** Every status of the legacy API, including those Atelier never enters (queues, resizing). */
    static final Set<String> LEGACY_STATUSES = Set.of("CREATE_QUEUING", "CREATING", "CREATE_FAILED", "START_QUEUING",
            "READY_TO_START", "STARTING", "RESTARTING", "START_FAILED", "RUNNING", "STOPPING", "STOPPED", "UNAVAILABLE",
            "DELETED", "RESIZING", "RESIZE_FAILED");

    /** The v1 statuses that show as a legacy status (none for the states Atelier never enters); null: no such status. */
    static List<InstanceStatus> v1Statuses(String legacy) {
        if (!LEGACY_STATUSES.contains(legacy)) {
            return null;
        }
        return java.util.Arrays.stream(InstanceStatus.values()).filter(s -> status(s).equals(legacy)).toList();
    }

    static final Set<String> FAILED = Set.of("CREATE_FAILED", "START_FAILED", "UNAVAILABLE");

    record ActionResult(String currentStatus, String previousState) {
    }

    record ListResult(long totalCount, List<LegacyInstance> instances) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record LegacyInstance(String id, String name, String description, String status, String creationTimestamp,
                          String latestUpdateTimestamp, Profile profile, String flavor, FlavorDetails flavorDetails,
                          Object pool, Spec spec, Map<String, String> workspace, Map<String, String> aiProject,
                          String errorCode, Object queuingInfo, Map<String, String> user, Object repository) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Profile(String id, String name, String description, String deType, String flavorType, Provision provision,
                   Map<String, String> labels) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Provision(String type, ProvisionSpec spec, Map<String, String> annotations) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record ProvisionSpec(String engine, Map<String, Object> params) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record FlavorDetails(String name, String status, Integer queuingNum, Long queueLeftTime, List<String> storageList,
                         boolean isPermitted, String type, Map<String, Object> params, String promoType,
                         Integer storeTime) {
    }

    /** An instance's place in its pool's queue (reference: {@code queuing_info}); times in ms, remain_time in s. */
    record QueuingInfo(String id, String name, String deType, String flavor, FlavorDetails flavorDetails,
                       String status, long beginTimestamp, Long remainTime, Long endTimestamp, int rank) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Spec(Storage storage, Object extendStorage, AutoStop autoStop, Map<String, String> annotations,
                FailedReasons failedReasons, Object extendParams, Object repository) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Storage(String type, Map<String, Object> location) {
    }

    /** {@code stop_timestamp} and {@code remain_time} only while running. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record AutoStop(boolean enable, Long duration, boolean prompt, Long stopTimestamp, Long remainTime) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record FailedReasons(String code, String message, Map<String, String> detail) {
    }

    /**
     * An instance as the legacy API shows it. {@code pool}: its dedicated pool (null for the public one);
     * {@code place}: where it waits in its pool's queue (null: it does not); {@code queue}: its flavor's queue.
     */
    static LegacyInstance instance(Instance i, Image image, Flavor flavor, String userName, long now,
                                   dev.atelier.core.model.Pool pool, QueueBoard.Place place, QueueBoard.FlavorQueue queue) {
        String status = place == null ? status(i.status())
                : i.status() == InstanceStatus.STARTING ? "START_QUEUING" : "CREATE_QUEUING";
        Lease l = i.lease();
        boolean running = i.status() == InstanceStatus.RUNNING;
        AutoStop autoStop = new AutoStop(l.enabled(), l.enabled() ? l.requestedMs() / 1000 : null, true,
                running && l.enabled() ? l.deadline() : null,
                running && l.enabled() ? Math.max(0, (l.deadline() - now) / 1000) : null);
        Map<String, Object> location = new LinkedHashMap<>();
        location.put("path", null);
        location.put("volume_size", i.volume().capacityGb());
        location.put("volume_unit", "GB");
        location.put("mount_path", "/home/ma-user/work");
        location.put("access_modes", null);
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("target_domain", running && i.url() != null ? i.url().replaceAll("^(https?://[^/]+).*", "$1") : "");
        annotations.put("url", running && i.url() != null ? i.url() : "");
        boolean failed = FAILED.contains(status);
        FailedReasons reasons = failed ? new FailedReasons(errorCode(i.status()), i.failReason(), Map.of()) : null;
        Map<String, String> user = new LinkedHashMap<>();
        user.put("id", i.ownerId());
        user.put("name", userName);
        FlavorDetails details = flavor == null ? null : flavorDetails(flavor, queue);
        String id = InstanceServiceIds.legacy(i.id());
        QueuingInfo queuing = place == null ? null : new QueuingInfo(id, i.name(), "Notebook", i.flavorId(), details,
                status, place.queuedAt(), place.remainingSeconds(now), place.expectedStart(), place.rank());
        return new LegacyInstance(id, i.name(), i.description(), status,
                Long.toString(i.createAt()), Long.toString(i.updateAt()), profile(image), i.flavorId(),
                details, pool == null ? null : Map.of("id", pool.id(), "name", pool.name()),
                new Spec(new Storage("evs", location), null, autoStop, annotations, reasons, null, null),
                Map.of("id", i.workspaceId()), Map.of("id", "default-ai-project"),
                failed ? errorCode(i.status()) : null, queuing, user, null);
    }

    private static String errorCode(InstanceStatus s) {
        return s == InstanceStatus.CREATE_FAILED ? "ModelArts.6200" : s == InstanceStatus.START_FAILED
                ? "ModelArts.6360" : "ModelArts.6102";
    }

    static Profile profile(Image m) {
        if (m == null) {
            return null;
        }
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("namespace", m.namespace());
        params.put("image_name", m.name());
        params.put("image_tag", m.tag());
        params.put("annotations", null);
        return new Profile(m.id(), m.name(), m.description(), "Notebook", "CPU",
                new Provision("Docker", new ProvisionSpec("CCE", params),
                        Map.of("category", m.name(), "type", m.builtIn() ? "system" : "custom")), Map.of());
    }

    /** A flavor as the legacy API details it; {@code queue}: who waits for it and how long a new one would. */
    static FlavorDetails flavorDetails(Flavor f, QueueBoard.FlavorQueue queue) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("CPU", f.vcpus());
        params.put("memory", (f.memoryMib() / 1024) + "GiB");
        if (f.gpu() != null) {
            params.put("GPU", f.gpu().count());
            params.put("graphics_memory", f.gpu().memory());
            params.put("gpu_type", f.gpu().type());
        }
        if (f.ascend() != null) {
            params.put("NPU", f.ascend().npu());
            params.put("graphics_memory", f.ascend().npuMemory());
            params.put("type", f.ascend().typeAlias());
        }
        String type = switch (f.category()) {
            case "ASCEND" -> "Ascend";
            default -> f.category();
        };
        return new FlavorDetails(f.id(), f.soldOut() ? "soldOut" : "onSale", queue == null ? null : queue.waiting(),
                queue == null ? null : queue.leftSeconds(), f.storages().stream().map(s -> s.toLowerCase(java.util.Locale.ROOT)).toList(), true, type, params,
                f.free() ? "Free" : "NoDiscount", -1);
    }

    /** The ids of the two views: {@code DE-<uuid>} in the legacy API for {@code <uuid>} in v1. */
    static final class InstanceServiceIds {
        private InstanceServiceIds() {
        }

        static String legacy(String id) {
            return dev.atelier.api.InstanceIds.legacy(id);
        }
    }
}
