package dev.atelier.api.http;

import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Lease;
import dev.atelier.core.model.Progress;
import dev.atelier.core.model.Volume;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The v1 response shapes (reference §2.24), field names and JSON types exactly as clients expect them. */
public final class Views {
    private Views() {
    }

    public record NotebookResp(String id, String name, String description, String status, String feature, String flavor,
                        ImageView image, LeaseView lease, VolumeView volume, List<Object> dataVolumes,
                        List<Object> endpoints, String url, String token, List<JobProgress> actionProgress,
                        String failReason, String workspaceId, List<String> billingItems, String userId,
                        List<Tag> tags, long createAt, long updateAt, Map<String, String> pool) {

        /** As lists show it: an instance's token is a secret, given by show and create only. */
        NotebookResp withoutToken() {
            return new NotebookResp(id, name, description, status, feature, flavor, image, lease, volume, dataVolumes,
                    endpoints, url, null, actionProgress, failReason, workspaceId, billingItems, userId, tags,
                    createAt, updateAt, pool);
        }
    }

    public record Tag(String key, String value) {
    }

    /** A dynamic mount as the storage API shows it ({@code DataVolumesRes}). */
    public record MountView(String id, String category, String mountPath, String uri, String status, String failureReason,
                     String mountType) {
    }

    /** A mount as an instance's {@code data_volumes} shows it ({@code VolumeResponse}: note {@code url}). */
    public record DataVolume(String category, String mountPath, String url, String status, String mountType) {
    }

    public static MountView mount(dev.atelier.core.model.Mount m) {
        return new MountView(m.id(), m.category(), m.mountPath(), m.uri(), m.status().name(), m.failureReason(), "DYNAMIC");
    }

    public record TagValues(String key, List<String> values) {
    }

    public record Feature(String id, String name, boolean enabled, int quota, long used, String userId) {
    }

    public record ImageView(String id, String name, String namespace, String tag, String swrPath, String description,
                     String arch, List<String> devServices, String origin, List<String> resourceCategories,
                     List<String> supportResCategories, String serviceType, long size, String status,
                     String statusMessage, String type, String visibility, String workspaceId, List<Object> tags,
                     long createAt, long updateAt) {
    }

    public record GroupView(String id, String name, String namespace, long createAt, long updateAt, int versionCount,
                     String description, String readMe) {
    }

    public record LeaseView(long createAt, long duration, boolean enable, String type, long updateAt) {
    }

    public record VolumeView(String category, String ownership, int capacity, String mountPath, String status) {
    }

    public record JobProgress(String notebookId, int step, String status, String description, String stepDescription) {
    }

    public record FlavorView(String id, String name, String arch, String category, String description, String feature,
                      boolean free, boolean soldOut, int vcpus, long memory, List<String> storages,
                      Map<String, Object> billing, String evsMaxSize, GpuView gpu, AscendView ascend) {
    }

    public record GpuView(int gpu, String gpuMemory, String type) {
    }

    public record AscendView(int npu, String npuMemory, String type, String aiCore, String aiCpu, String typeAlias) {
    }

    /** The paged envelope of §1.5; flavor lists also carry the items under {@code flavors}. */
    public record Page<T>(int current, List<T> data, List<T> flavors, int pages, int size, long total) {
        static <T> Page<T> of(List<T> items, int offset, int limit, long total) {
            int size = limit;
            int pages = size == 0 ? 0 : (int) ((total + size - 1) / size);
            return new Page<>(size == 0 ? 0 : offset / size, items, null, pages, size, total);
        }

        Page<T> withFlavors() {
            return new Page<>(current, data, data, pages, size, total);
        }
    }

    /**
     * An instance as v1 shows it. {@code pool}: its dedicated pool (null for the public one); {@code notice}: what
     * to show as its reason instead of its own (its place in a queue), or null.
     */
    public static NotebookResp notebook(Instance i, Image image, Map<String, String> tags,
                                 List<dev.atelier.core.model.Mount> mounts, List<Object> endpoints,
                                 dev.atelier.core.model.Pool pool, String notice) {
        List<JobProgress> progress = new ArrayList<>();
        for (int step = Progress.STEPS; step >= 1; step--) {
            String d = Progress.description(step);
            progress.add(new JobProgress(i.id(), step, i.progress().step(step).name(), d, d));
        }
        Lease l = i.lease();
        Volume v = i.volume();
        boolean running = i.status() == InstanceStatus.RUNNING;
        return new NotebookResp(i.id(), i.name(), i.description(), i.status().name(), i.feature().name(), i.flavorId(),
                image == null ? null : image(image),
                lease(l),
                new VolumeView(v.category(), v.ownership(), v.capacityGb(), Volume.MOUNT_PATH, "MOUNTED"),
                mounts.stream().map(m -> (Object) new DataVolume(m.category(), m.mountPath(), m.uri(), m.status().name(),
                        "DYNAMIC")).toList(), endpoints, i.url(), i.token(), progress,
                notice != null ? notice : i.failReason(), i.workspaceId(),
                running ? List.of("COMPUTE") : List.of(), i.ownerId(),
                tags.entrySet().stream().map(e -> new Tag(e.getKey(), e.getValue())).toList(), i.createAt(),
                i.updateAt(), pool == null ? null : Map.of("id", pool.id(), "name", pool.name()));
    }

    public static LeaseView lease(Lease l) {
        return new LeaseView(l.createAt(), l.durationMs(), l.enabled(), l.type().name(), l.updateAt());
    }

    public static ImageView image(Image m) {
        return new ImageView(m.id(), m.name(), m.namespace(), m.tag(), m.swrPath(), m.description(), m.arch(),
                m.devServices(), m.origin(), m.resourceCategories(), m.resourceCategories(), m.serviceType(),
                m.sizeKb(), m.status().name(), m.statusMessage(), m.type(), m.visibility(), m.workspaceId(), List.of(),
                m.createAt(), m.updateAt());
    }

    public static FlavorView flavor(Flavor f) {
        var a = f.ascend();
        return new FlavorView(f.id(), f.name(), f.arch(), f.category(), f.description(), f.feature().name(), f.free(),
                f.soldOut(), f.vcpus(), f.memoryMib() * 1024, f.storages(), Map.of("code", f.id(), "unit_num", 1),
                Integer.toString(f.evsMaxSizeGb()),
                f.gpu() == null ? null : new GpuView(f.gpu().count(), f.gpu().memory(), f.gpu().type()),
                a == null ? null : new AscendView(a.npu(), a.npuMemory(), a.type(), a.aiCore(), a.aiCpu(), a.typeAlias()));
    }
}
