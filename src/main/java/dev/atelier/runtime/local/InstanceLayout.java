package dev.atelier.runtime.local;

import dev.atelier.core.port.InstanceRuntime.LaunchSpec;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import dev.atelier.runtime.host.HostMounts;
import java.nio.file.attribute.PosixFilePermissions;
import dev.atelier.runtime.host.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a local instance's files are, under the data dir: its home {@code instances/<id>/} (with its volume at
 * {@code work/}), {@code instance-logs/<id>.log}, {@code volumes/<id>.ext4} and {@code mounts/<id>/} (storage
 * attached to a sandbox), and {@code instances/.<id>.new} while a saved image's home is copied in.
 */
final class InstanceLayout {
    private static final Logger log = LoggerFactory.getLogger(InstanceLayout.class);
    private final Path instancesDir;

    InstanceLayout(Path instancesDir) {
        this.instancesDir = instancesDir;
    }

    /** The instance's home directory on the host. */
    Path home(String instanceId) {
        if (!instanceId.matches("[0-9a-f-]{36}")) {
            throw new IllegalArgumentException("not an instance id: " + instanceId);
        }
        return instancesDir.resolve(instanceId);
    }

    /** Where a saved image's home is copied before it becomes the instance's. */
    Path staging(String instanceId) {
        return instancesDir.resolve("." + home(instanceId).getFileName() + ".new");
    }

    /** Where storage attached to a sandboxed instance is mounted on the host. */
    Path mountsDir(String instanceId) {
        return instancesDir.resolveSibling("mounts").resolve(instanceId);
    }

    /** The notebook server's log: the server's, out of the user's reach. */
    Path logFile(String instanceId) {
        return instancesDir.resolveSibling("instance-logs").resolve(instanceId + ".log");
    }

    Path volumeImage(String instanceId) {
        return instancesDir.resolveSibling("volumes").resolve(instanceId + ".ext4");
    }

    /** Ids of every instance this data dir has traces of: files, mounts, volumes, logs, server processes. */
    java.util.Set<String> idsOnHost() {
        java.util.Set<String> ids = new java.util.TreeSet<>();
        java.util.regex.Pattern id = java.util.regex.Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        for (Path dir : List.of(instancesDir, instancesDir.resolveSibling("mounts"), instancesDir.resolveSibling("volumes"),
                instancesDir.resolveSibling("instance-logs"))) {
            if (Files.isDirectory(dir)) {
                try (var entries = Files.list(dir)) {
                    entries.map(p -> p.getFileName().toString().replaceAll("\\.(ext4(\\.partial)?|log)$", ""))
                            .filter(n -> id.matcher(n).matches()).forEach(ids::add);
                } catch (IOException e) {
                    log.warn("cannot list {}: {}", dir, e.getMessage());
                }
            }
        }
        java.util.regex.Pattern server = java.util.regex.Pattern.compile("--ServerApp.base_url=/notebook/(" + id.pattern()
                + ")/.*--ServerApp.root_dir=(\\S+)");
        ProcessHandle.allProcesses().forEach(p -> {
            var m = server.matcher(Proc.commandLine(p.pid()));
            // only this data dir's servers (the root dir is under it, or /home/ma-user/work in a sandbox of ours)
            if (m.find() && (m.group(2).startsWith(instancesDir.toString()) || Files.exists(instancesDir.resolve(m.group(1))))) {
                ids.add(m.group(1));
            }
        });
        return ids;
    }

    /**
     * Gives the home to the instance's own uid and prepares its storage: the capacity-capped volume at
     * {@code work} (where loop mounts are available) and the shared mount point for dynamic storage.
     */
    int prepareSandbox(LaunchSpec spec, Path work, UidRange uids, boolean loopVolumes) throws IOException {
        Path home = home(spec.instanceId());
        // the user's processes are all gone now, but they may have left links where directories were: root must
        // never mount or chown through a path the user controls
        if (!Files.isDirectory(work, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new RuntimeFailure("the instance's work directory is no longer a directory (was it replaced by a "
                    + "link?); delete the instance");
        }
        int uid = Sandbox.uidFor(instancesDir, home, uids);
        if (loopVolumes) {
            HostMounts.mountVolume(volumeImage(spec.instanceId()), work, spec.volume().capacityGb(), uid);
        }
        for (Path own : List.of(home, work)) {
            Files.setAttribute(own, "unix:uid", uid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(own, "unix:gid", uid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        }
        // attached storage is mounted below a root-owned directory outside the user's tree, shared so that what
        // is mounted there later appears in the sandbox (at /home/ma-user/work/data)
        Path mounts = mountsDir(spec.instanceId());
        Files.createDirectories(mounts.getParent());
        Files.setPosixFilePermissions(mounts.getParent(), PosixFilePermissions.fromString("rwx--x--x"));
        Files.createDirectories(mounts);
        HostMounts.sharedMountPoint(mounts);
        return uid;
    }

    /**
     * Makes the instance's home (from its saved image's home, where it has one), its work directory and the
     * directory of logs, each the server's alone until the sandbox hands them over.
     */
    void prepare(LaunchSpec spec) throws IOException {
        Path home = home(spec.instanceId());
        Files.createDirectories(instancesDir);
        if (!Files.exists(home) && spec.image().skeleton() != null) {
            // an instance of a saved image starts with what its source instance's user had installed
            Path staging = staging(spec.instanceId());
            Trees.delete(staging);
            Trees.copy(Path.of(spec.image().skeleton()), staging, LocalImages.NOT_SAVED);
            Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwx------"));
            Files.move(staging, home, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        Files.createDirectories(home, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.createDirectories(home.resolve("work"));
        Files.createDirectories(logFile(spec.instanceId()).getParent(),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    /** Removes every file of the instance (its mounts must be gone: nothing is deleted through one). */
    void deleteFiles(String instanceId) {
        Trees.delete(home(instanceId));
        Trees.delete(mountsDir(instanceId));
        Trees.delete(staging(instanceId));
        try {
            Files.deleteIfExists(volumeImage(instanceId));
            Files.deleteIfExists(volumeImage(instanceId).resolveSibling(instanceId + ".ext4.partial"));
            Files.deleteIfExists(logFile(instanceId));
        } catch (IOException e) {
            throw new RuntimeFailure("cannot remove the volume of " + instanceId + ": " + e.getMessage(), e);
        }
    }
}
