package dev.atelier.core.service;

import dev.atelier.core.port.InstanceRuntime;
import dev.atelier.core.port.StorageAttachment;
import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.Mount;
import dev.atelier.core.model.MountStatus;
import dev.atelier.core.port.MountStore;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Storage attached to running instances (reference §2.12). The API records the wish (MOUNTING, UNMOUNTING);
 * the reconciler mounts and unmounts.
 */
public final class StorageService {
    private static final Pattern MOUNT_PATH = Pattern.compile("/data/[A-Za-z0-9_-]+/");

    private final InstanceService instances;
    private final MountStore mounts;
    private final boolean attachable;
    private final Clock clock;
    private volatile Consumer<String> onChange = id -> { };

    /** {@code runtime}: whether storage can be attached at all depends on its {@link StorageAttachment}. */
    public StorageService(InstanceService instances, MountStore mounts, InstanceRuntime runtime, Clock clock) {
        this.attachable = runtime.capability(StorageAttachment.class).isPresent();
        this.instances = instances;
        this.mounts = mounts;
        this.clock = clock;
    }

    public void onChange(Consumer<String> listener) {
        this.onChange = listener;
    }

    public Mount attach(String projectId, String instanceId, String category, String mountPath, String uri) {
        Instance instance = instances.show(projectId, instanceId);
        instanceId = instance.id();
        if (!attachable) {
            throw new AtelierException(ErrorCode.NOT_SUPPORTED_BY_RUNTIME, "this server's runtime cannot attach "
                    + "storage to a running instance");
        }
        String c = category == null ? "OBS" : category.toUpperCase(Locale.ROOT);
        if (!c.equals("OBS") && !c.equals("OBSFS") && !c.equals("EFS")) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "category must be OBS, OBSFS or EFS");
        }
        if (c.equals("EFS")) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "category EFS (SFS Turbo) is not available on this "
                    + "server; use OBS");
        }
        if (mountPath == null) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, "mount_path is required");
        }
        if (!MOUNT_PATH.matcher(mountPath).matches() || mountPath.length() > 256) {
            throw new AtelierException(ErrorCode.INVALID_VALUE,
                    "mount_path must look like /data/<name>/ (letters, digits, '-', '_')");
        }
        if (uri == null) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, "uri is required");
        }
        if (!uri.matches("obs://[a-z0-9][a-z0-9.-]{1,62}/([A-Za-z0-9_.-]+/)*") || uri.contains("/../")
                || uri.contains("/./") || uri.length() > 256) {
            throw new AtelierException(ErrorCode.INVALID_VALUE,
                    "uri must look like obs://<bucket>/<dir>/ (letters, digits, '.', '-', '_') and end with '/'");
        }
        Transitions.check(Transitions.Operation.ATTACH_STORAGE, instance);
        if (mounts.ofInstance(instanceId).stream().anyMatch(m -> m.mountPath().equals(mountPath))) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, mountPath + " is already mounted on instance "
                    + instanceId);
        }
        long now = clock.millis();
        Mount mount = new Mount(UUID.randomUUID().toString(), instanceId, c, mountPath, uri, MountStatus.MOUNTING, null, now, now);
        mounts.insert(mount);
        onChange.accept(instanceId);
        return mount;
    }

    public List<Mount> list(String projectId, String instanceId) {
        return mounts.ofInstance(instances.show(projectId, instanceId).id());
    }

    public Mount show(String projectId, String instanceId, String mountId) {
        String id = instances.show(projectId, instanceId).id();
        return mounts.get(mountId).filter(m -> m.instanceId().equals(id)).orElseThrow(() ->
                new AtelierException(ErrorCode.NOT_FOUND, "storage " + mountId + " is not mounted on instance "
                        + instanceId));
    }

    public Mount detach(String projectId, String instanceId, String mountId) {
        Mount mount = show(projectId, instanceId, mountId);
        if (mount.status() == MountStatus.UNMOUNTING) {
            throw new AtelierException(ErrorCode.ILLEGAL_STATE, "storage " + mountId + " is already being unmounted");
        }
        Mount next = mount.withStatus(MountStatus.UNMOUNTING, null, clock.millis());
        mounts.update(next);
        onChange.accept(mount.instanceId());
        return next;
    }
}
