package dev.atelier.runtime.host;

import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The local object store ({@code obs://bucket/dir/} is {@code <object store>/bucket/dir/}) and how a path of it is
 * mounted for an instance that runs as a uid of its own: bind-mounted below a shared mount point that the instance
 * sees, with read-write access for the uid through ACLs. Needs root.
 */
public record ObjectStoreMounts(Path objectStoreDir) {

    /** The name of the mount point for mount path {@code /data/<name>/}. */
    public static String nameOf(String mountPath) {
        String name = mountPath.replaceAll("^/data/|/$", "");
        if (!name.matches("[A-Za-z0-9_-]+")) {
            throw new RuntimeFailure("mount path must look like /data/<name>/");
        }
        return name;
    }

    /** The object-store directory of {@code uri}, whose bucket must exist. */
    public Path resolve(String uri) {
        if (!uri.startsWith("obs://")) {
            throw new RuntimeFailure("only obs:// storage can be mounted here");
        }
        Path target = objectStoreDir.resolve(uri.substring("obs://".length())).normalize();
        if (!target.startsWith(objectStoreDir) || target.equals(objectStoreDir)) {
            throw new RuntimeFailure("not an object-store path: " + uri);
        }
        Path bucket = objectStoreDir.resolve(objectStoreDir.relativize(target).getName(0));
        if (!Files.isDirectory(bucket)) {
            throw new RuntimeFailure("bucket " + bucket.getFileName() + " does not exist in the object store ("
                    + objectStoreDir + ")");
        }
        return target;
    }

    /**
     * Binds {@code target} at {@code mountPoint} (below a root-owned directory, so that no user can put a link
     * there), writable for {@code uid}. No-op when mounted already.
     */
    public void mount(Path mountPoint, Path target, int uid, String mountPath) {
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
            Files.createDirectories(mountPoint);
            if (!Files.isExecutable(Path.of("/usr/bin/setfacl"))) {
                // without it the uid could read the storage but not write it: say so, never half-work
                throw new RuntimeFailure("cannot mount " + mountPath + " writable for the instance: "
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

    /** Undoes {@link #mount}; whether there was anything to undo. */
    public boolean unmount(Path mountPoint, String mountPath) {
        try {
            if (HostMounts.mounted(mountPoint)) {
                HostMounts.unmount(mountPoint);
                Files.deleteIfExists(mountPoint);
                return true;
            }
            return false;
        } catch (IOException e) {
            throw new RuntimeFailure("cannot unmount " + mountPath + ": " + e.getMessage(), e);
        }
    }
}
