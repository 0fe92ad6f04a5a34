package dev.atelier.core.service;

import dev.atelier.core.model.Instance;
import dev.atelier.core.model.MountStatus;
import dev.atelier.core.port.InstanceRuntime;
import dev.atelier.core.port.StorageAttachment;
import dev.atelier.core.port.MountStore;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The reconciler's part for dynamic storage: mounts asked for, carried out; unmounts asked for, carried out. */
final class MountSteps {
    private static final Logger log = LoggerFactory.getLogger(MountSteps.class);
    private final MountStore mounts;
    private final InstanceRuntime runtime;
    private final Clock clock;

    MountSteps(MountStore mounts, InstanceRuntime runtime, Clock clock) {
        this.mounts = mounts;
        this.runtime = runtime;
        this.clock = clock;
    }

    /** The server is gone and its mounts with it: storage attached to the instance is mounted again when it next runs. */
    void remountOnNextRun(Instance inst) {
        mounts.ofInstance(inst.id()).stream().filter(m -> m.status() == MountStatus.MOUNTED)
                .forEach(m -> mounts.update(m.withStatus(MountStatus.MOUNTING, null, clock.millis())));
    }

    private StorageAttachment storage() {
        return runtime.capability(StorageAttachment.class).orElseThrow(() ->
                new InstanceRuntime.RuntimeFailure("this server's runtime cannot attach storage"));
    }

    /** Unmounts what is UNMOUNTING and, on a running instance, mounts what is MOUNTING. */
    void reconcile(Instance inst, boolean running) {
        for (var mount : mounts.ofInstance(inst.id())) {
            try {
                if (running && mount.status() == MountStatus.MOUNTING) {
                    storage().attach(inst.id(), mount.mountPath(), mount.uri());
                    mounts.update(mount.withStatus(MountStatus.MOUNTED, null, clock.millis()));
                } else if (mount.status() == MountStatus.UNMOUNTING) {
                    storage().detach(inst.id(), mount.mountPath());
                    mounts.delete(mount.id());
                }
            } catch (RuntimeException e) { // whatever goes wrong with one mount must not stop the instance's pass
                MountStatus failed = mount.status() == MountStatus.MOUNTING ? MountStatus.MOUNT_FAILED
                        : MountStatus.UNMOUNT_FAILED;
                log.warn("instance {}: {} of {} failed: {}", inst.id(), mount.status(), mount.mountPath(),
                        e.getMessage());
                mounts.update(mount.withStatus(failed, e.getMessage(), clock.millis()));
            }
        }
    }
}
