package dev.atelier.runtime.docker;

import dev.atelier.core.port.InstanceRuntime.LaunchSpec;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import dev.atelier.runtime.host.HostMounts;
import dev.atelier.runtime.host.NotebookContainer;
import dev.atelier.runtime.host.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.TreeSet;

/**
 * What each container has on the host, under {@code <data-dir>/containers/<id>/} (the server's alone): {@code work/}
 * (the volume, a loop-mounted ext4 file of the requested capacity where the host allows it,
 * {@code <data-dir>/volumes/<id>.ext4}), {@code data/} (where attached storage is mounted, shared so that what is
 * mounted later reaches the running container) and {@code secret/} (the token file).
 */
final class ContainerFiles {
    /** The container's user, who owns the work volume and reads the token file. */
    private static final int UID = 1000;
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
    private static final String ID = "[0-9a-f-]{36}";

    private final Path containersDir;
    private final Path volumesDir;
    private final boolean loopVolumes = HostMounts.loopVolumesAvailable();

    ContainerFiles(Path dataDir) {
        this.containersDir = dataDir.resolve("containers");
        this.volumesDir = dataDir.resolve("volumes");
    }

    boolean loopVolumes() {
        return loopVolumes;
    }

    Path workDir(String instanceId) {
        return instanceDir(instanceId).resolve("work");
    }

    Path attachedDir(String instanceId) {
        return instanceDir(instanceId).resolve("data");
    }

    /** The directories the container's mounts need to exist when it is made, and the token file (returned). */
    Path prepare(LaunchSpec spec) {
        String id = spec.instanceId();
        try {
            Files.createDirectories(containersDir, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            Files.createDirectories(workDir(id));
            Files.createDirectories(attachedDir(id));
            return writeToken(id, spec.token());
        } catch (IOException e) {
            throw new RuntimeFailure("cannot prepare storage for the instance: " + e.getMessage(), e);
        }
    }

    /** The volume (made, grown, mounted where the host can) and the mount point for storage attached later. */
    void prepareStorage(LaunchSpec spec) {
        try {
            prepareVolume(spec);
            if (ROOT) { // where storage is attached later (needs root, as attaching does)
                HostMounts.sharedMountPoint(attachedDir(spec.instanceId()));
            }
        } catch (IOException | RuntimeException e) {
            throw e instanceof RuntimeFailure f ? f
                    : new RuntimeFailure("cannot prepare storage for the instance: " + e.getMessage(), e);
        }
    }

    /** Unmounts what was mounted for the instance (its volume, attached storage); its files stay. */
    void unmount(String instanceId) {
        HostMounts.unmountAll(attachedDir(instanceId));
        HostMounts.unmountAll(instanceDir(instanceId));
    }

    /** Deletes the instance's files and volume; call once {@link #unmount} has run. */
    void delete(String instanceId) {
        // never delete through a mount: that would delete attached storage's data
        Trees.delete(instanceDir(instanceId));
        try {
            Files.deleteIfExists(volumesDir.resolve(instanceId + ".ext4"));
            Files.deleteIfExists(volumesDir.resolve(instanceId + ".ext4.partial"));
        } catch (IOException e) {
            throw new RuntimeFailure("cannot remove the volume of " + instanceId + ": " + e.getMessage(), e);
        }
    }

    /** The instances that have files here. */
    Set<String> instances() {
        Set<String> ids = new TreeSet<>();
        if (Files.isDirectory(containersDir)) {
            try (var entries = Files.list(containersDir)) {
                entries.map(p -> p.getFileName().toString()).filter(n -> n.matches(ID)).forEach(ids::add);
            } catch (IOException e) {
                org.slf4j.LoggerFactory.getLogger(ContainerFiles.class).warn("cannot list {}: {}", containersDir,
                        e.getMessage());
            }
        }
        return ids;
    }

    /** The work volume's host directory, mounted (and grown to the requested capacity) where the host can. */
    private void prepareVolume(LaunchSpec spec) throws IOException {
        Path work = workDir(spec.instanceId());
        if (loopVolumes) {
            HostMounts.mountVolume(volumesDir.resolve(spec.instanceId() + ".ext4"), work, spec.volume().capacityGb(),
                    UID);
        }
        if (!Files.isDirectory(work, LinkOption.NOFOLLOW_LINKS)) {
            throw new RuntimeFailure("the instance's work directory is no longer a directory; delete the instance");
        }
        Files.setAttribute(work, "unix:uid", UID, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(work, "unix:gid", UID, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * The token, in a Jupyter configuration file that only the container's user reads: root's directory on the
     * host keeps every other host user out, the bind mount lets the container in.
     */
    private Path writeToken(String instanceId, String token) throws IOException {
        Path dir = instanceDir(instanceId).resolve("secret");
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path file = dir.resolve("jupyter_server_config.json");
        Path partial = dir.resolve("jupyter_server_config.json.partial");
        Files.deleteIfExists(partial);
        Files.writeString(partial, NotebookContainer.tokenConfig(token), StandardOpenOption.CREATE_NEW);
        Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("r--------"));
        Files.setAttribute(partial, "unix:uid", UID);
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    private Path instanceDir(String instanceId) {
        if (!instanceId.matches(ID)) {
            throw new IllegalArgumentException("not an instance id: " + instanceId);
        }
        return containersDir.resolve(instanceId);
    }
}
