package dev.atelier.runtime.docker;

import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import dev.atelier.core.port.StorageAttachment;
import dev.atelier.runtime.host.ObjectStoreMounts;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Storage attached to a running container: the object-store path is bind-mounted on the host below the instance's
 * {@code data/} directory, which the container has mounted with slave propagation at
 * {@code /home/ma-user/work/data}, so the new mount appears inside without a restart. Needs root.
 */
final class DockerStorage implements StorageAttachment {
    private final ObjectStoreMounts store;
    private final Function<String, Path> attachedDir;

    DockerStorage(Path objectStoreDir, Function<String, Path> attachedDir) {
        this.store = new ObjectStoreMounts(objectStoreDir);
        this.attachedDir = attachedDir;
    }

    @Override
    public void attach(String instanceId, String mountPath, String uri) {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new RuntimeFailure("storage can be attached to running containers only when Atelier runs as root");
        }
        store.mount(attachedDir.apply(instanceId).resolve(ObjectStoreMounts.nameOf(mountPath)), store.resolve(uri),
                1000, mountPath);
    }

    @Override
    public void detach(String instanceId, String mountPath) {
        store.unmount(attachedDir.apply(instanceId).resolve(ObjectStoreMounts.nameOf(mountPath)), mountPath);
    }
}
