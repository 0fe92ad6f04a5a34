package dev.atelier.runtime.local;

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
    private final Path objectStoreDir;
    private final boolean sandboxed;
    private final Function<String, Path> home;
    private final Function<String, OptionalInt> sandboxUid;
    private final Function<String, Path> mountsDir;

    LocalStorage(Path objectStoreDir, boolean sandboxed, Function<String, Path> home,
                 Function<String, OptionalInt> sandboxUid, Function<String, Path> mountsDir) {
        this.objectStoreDir = objectStoreDir;
        this.sandboxed = sandboxed;
        this.home = home;
        this.sandboxUid = sandboxUid;
        this.mountsDir = mountsDir;
    }

    @Override
    public void attach(String instanceId, String mountPath, String uri) {
        Path link = mountLink(instanceId, mountPath);
        Path target = objectStorePath(uri);
        Path bucket = objectStoreDir.resolve(objectStoreDir.relativize(target).getName(0));
        if (!Files.isDirectory(bucket)) {
            throw new RuntimeFailure("bucket " + bucket.getFileName() + " does not exist in the object store ("
                    + objectStoreDir + ")");
        }
        var uid = sandboxed ? sandboxUid.apply(instanceId) : java.util.OptionalInt.empty();
        if (uid.isPresent()) {
            attachInSandbox(mountsDir.apply(instanceId).resolve(link.getFileName()), target, uid.getAsInt(), mountPath);
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

    /**
     * In a sandbox a link to a host path would point nowhere: the storage is bind-mounted below the shared mount
     * point instead, and the instance's uid gets read-write access to it through ACLs.
     */
    private void attachInSandbox(Path mountPoint, Path target, int uid, String mountPath) {
        try {
            Files.createDirectories(target);
            // the object store is writable by instances: resolve every link now, and only mount what really lies
            // inside the store (what could still change afterwards is limited to what the uid may read anyway)
            Path real = target.toRealPath();
            if (!real.startsWith(objectStoreDir.toRealPath()) || real.equals(objectStoreDir.toRealPath())) {
                throw new RuntimeFailure(mountPath + ": the storage path leads outside the object store");
            }
            if (HostMounts.mounted(mountPoint)) {
                return;
            }
            Files.createDirectories(mountPoint); // below a root-owned directory: no user can put a link here
            if (!Files.isExecutable(Path.of("/usr/bin/setfacl"))) {
                // without it the sandboxed uid could read the storage but not write it: say so, never half-work
                throw new RuntimeFailure("cannot mount " + mountPath + " writable for the sandboxed instance: "
                        + "/usr/bin/setfacl is missing (install the acl package)");
            }
            // -P: walk the tree physically, never following a link to elsewhere
            HostMounts.run("/usr/bin/setfacl", "-P", "-R", "-m", "u:" + uid + ":rwX,d:u:" + uid + ":rwX",
                    real.toString());
            HostMounts.bind(real, mountPoint);
        } catch (IOException e) {
            throw new RuntimeFailure("cannot mount " + mountPath + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void detach(String instanceId, String mountPath) {
        Path link = mountLink(instanceId, mountPath);
        Path mountPoint = mountsDir.apply(instanceId).resolve(link.getFileName());
        try {
            if (HostMounts.mounted(mountPoint)) {
                HostMounts.unmount(mountPoint);
                Files.deleteIfExists(mountPoint);
                return;
            }
            if (Files.isSymbolicLink(link)) {
                Files.delete(link);
            }
        } catch (IOException e) {
            throw new RuntimeFailure("cannot unmount " + mountPath + ": " + e.getMessage(), e);
        }
    }

    private Path mountLink(String instanceId, String mountPath) {
        String name = mountPath.replaceAll("^/data/|/$", "");
        if (!name.matches("[A-Za-z0-9_-]+")) {
            throw new RuntimeFailure("mount path must look like /data/<name>/");
        }
        return home.apply(instanceId).resolve("work").resolve("data").resolve(name);
    }

    private Path objectStorePath(String uri) {
        if (!uri.startsWith("obs://")) {
            throw new RuntimeFailure("only obs:// storage can be mounted here");
        }
        Path target = objectStoreDir.resolve(uri.substring("obs://".length())).normalize();
        if (!target.startsWith(objectStoreDir) || target.equals(objectStoreDir)) {
            throw new RuntimeFailure("not an object-store path: " + uri);
        }
        return target;
    }
}
