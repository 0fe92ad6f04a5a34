package dev.atelier.runtime.local;

import dev.atelier.runtime.host.ObjectStoreMounts;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import dev.atelier.core.port.StorageAttachment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * Storage attached to a running local instance: a path of the local object store ({@code obs://bucket/dir/} is
 * {@code <object store>/bucket/dir/}) at {@code /data/<name>/} of its work directory; a link where the instance is
 * not sandboxed, a bind mount below its sandbox's shared mount point where it is.
 */
final class LocalStorage implements StorageAttachment {
    private final ObjectStoreMounts store;
    private final boolean sandboxed;
    private final Function<String, Path> home;
    private final Function<String, OptionalInt> sandboxUid;
    private final Function<String, Path> mountsDir;

    LocalStorage(Path objectStoreDir, boolean sandboxed, Function<String, Path> home,
                 Function<String, OptionalInt> sandboxUid, Function<String, Path> mountsDir) {
        this.store = new ObjectStoreMounts(objectStoreDir);
        this.sandboxed = sandboxed;
        this.home = home;
        this.sandboxUid = sandboxUid;
        this.mountsDir = mountsDir;
    }

    @Override
    public void attach(String instanceId, String mountPath, String uri) {
        Path link = mountLink(instanceId, mountPath);
        Path target = store.resolve(uri);
        var uid = sandboxed ? sandboxUid.apply(instanceId) : java.util.OptionalInt.empty();
        if (uid.isPresent()) {
            // in a sandbox a link to a host path would point nowhere: the storage is mounted below the shared
            // mount point instead
            store.mount(mountsDir.apply(instanceId).resolve(link.getFileName()), target, uid.getAsInt(), mountPath);
            return;
        }
        try {
            Files.createDirectories(target);
            Files.createDirectories(link.getParent());
            if (Files.isSymbolicLink(link)) {
                if (Files.readSymbolicLink(link).equals(target)) {
                    return;
                }
                throw new RuntimeFailure(mountPath + " is already in use by another mount");
            }
            if (Files.exists(link)) {
                throw new RuntimeFailure(mountPath + " already exists in the instance's work directory");
            }
            Files.createSymbolicLink(link, target);
        } catch (IOException e) {
            throw new RuntimeFailure("cannot mount " + uri + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void detach(String instanceId, String mountPath) {
        Path link = mountLink(instanceId, mountPath);
        if (store.unmount(mountsDir.apply(instanceId).resolve(link.getFileName()), mountPath)) {
            return;
        }
        try {
            if (Files.isSymbolicLink(link)) {
                Files.delete(link);
            }
        } catch (IOException e) {
            throw new RuntimeFailure("cannot unmount " + mountPath + ": " + e.getMessage(), e);
        }
    }

    private Path mountLink(String instanceId, String mountPath) {
        return home.apply(instanceId).resolve("work").resolve("data").resolve(ObjectStoreMounts.nameOf(mountPath));
    }
}
