package dev.atelier.runtime.host;

import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Mounts on the host for sandboxed instances: a capacity-capped ext4 volume (a sparse image, loop-mounted)
 * as the work directory, a shared mount point for dynamic storage (so that storage attached later appears
 * inside a running sandbox), and bind mounts of object-store directories. Needs root.
 */
public final class HostMounts {
    private static final long GB = 1024L * 1024 * 1024;

    private HostMounts() {
    }

    /** Whether this host can make loop-mounted volumes. */
    public static boolean loopVolumesAvailable() {
        return Files.isExecutable(Path.of("/usr/sbin/mkfs.ext4")) && Files.isExecutable(Path.of("/usr/sbin/resize2fs"))
                && Files.exists(Path.of("/dev/loop-control")) && "root".equals(System.getProperty("user.name"));
    }

    /**
     * Creates (or grows to {@code capacityGb}) the instance's volume image, owned inside by {@code uid}, and
     * mounts it at {@code work} unless it is mounted already.
     */
    public static void mountVolume(Path image, Path work, int capacityGb, int uid) {
        try {
            if (!Files.isDirectory(image.getParent())) {
                // the images hold users' files: the server's alone
                Files.createDirectories(image.getParent(), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            }
            long size = capacityGb * GB;
            boolean spare = false;
            if (!Files.exists(image)) {
                spare = SpareVolumes.take(image, capacityGb);
                if (spare) {
                    dev.atelier.core.CrashPoints.reach("volume.allocated");
                } else {
                    makeImage(image, capacityGb, uid, false);
                }
                SpareVolumes.replace(image.getParent(), capacityGb);
            } else if (Files.size(image) < size && !mounted(work)) {
                try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
                    f.setLength(size);
                }
                runAllowing(java.util.Set.of(0, 1), "e2fsck", "-f", "-y", image.toString()); // 1: fixed something
                run("resize2fs", image.toString());
            }
            if (!mounted(work)) {
                run("mount", "-o", "loop,nosuid,nodev", image.toString(), work.toString());
            }
            if (spare) { // formatted for no one in particular: its root is the instance's, as a new image's is
                Files.setAttribute(work, "unix:uid", uid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(work, "unix:gid", uid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            }
        } catch (IOException e) {
            throw new RuntimeFailure("cannot prepare the volume: " + e.getMessage(), e);
        }
    }

    /**
     * Makes an empty ext4 volume image of {@code capacityGb} (sparse: only what is written takes disk space), its
     * root owned by {@code uid}: made under another name and renamed once complete, so a crash half-way leaves only
     * the other name, which the next try makes anew, never a half-made volume under the real one. {@code background}:
     * at the lowest CPU priority.
     */
    static void makeImage(Path image, int capacityGb, int uid, boolean background) throws IOException {
        Path partial = background ? SpareVolumes.partial(image) : image.resolveSibling(image.getFileName() + ".partial");
        Files.deleteIfExists(partial);
        try {
            try (RandomAccessFile f = new RandomAccessFile(partial.toFile(), "rw")) {
                f.setLength(capacityGb * GB);
            }
            if (!background) { // an instance's: its image is there, its file system is not
                dev.atelier.core.CrashPoints.reach("volume.allocated");
            }
            List<String> mkfs = new ArrayList<>(background ? List.of("nice", "-n", "19") : List.of());
            mkfs.addAll(List.of("mkfs.ext4", "-F", "-q", "-m", "0", "-E", "root_owner=" + uid + ":" + uid,
                    partial.toString()));
            run(mkfs.toArray(String[]::new));
            try (var channel = java.nio.channels.FileChannel.open(partial, java.nio.file.StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(partial, image, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(partial); // left only where a step failed
        }
    }

    /** Makes {@code dir} a shared mount point: what is mounted below it later reaches sandboxes started before. */
    public static void sharedMountPoint(Path dir) {
        if (!mounted(dir)) {
            run("mount", "--bind", dir.toString(), dir.toString());
            run("mount", "--make-shared", dir.toString());
        }
    }

    public static void bind(Path source, Path target) {
        if (!mounted(target)) {
            run("mount", "--bind", source.toString(), target.toString());
        }
    }

    public static void unmount(Path target) {
        if (mounted(target)) {
            run("umount", target.toString());
        }
    }

    /**
     * Unmounts everything at or below {@code root}, deepest first. Throws when something stays mounted: the
     * caller must then not delete {@code root}, or it would delete what the mounts show.
     */
    public static void unmountAll(Path root) {
        for (Path p : mountsUnder(root)) {
            try {
                run("umount", p.toString());
            } catch (RuntimeFailure e) {
                run("umount", "-l", p.toString()); // lazily, once nothing uses it any more
            }
        }
        if (!mountsUnder(root).isEmpty()) {
            throw new RuntimeFailure("still mounted below " + root + ": " + mountsUnder(root));
        }
    }

    public static boolean mounted(Path p) {
        return mountPoints().contains(p.toAbsolutePath().normalize().toString());
    }

    public static List<Path> mountsUnder(Path root) {
        String r = root.toAbsolutePath().normalize().toString();
        List<Path> out = new ArrayList<>();
        for (String m : mountPoints()) {
            if (m.equals(r) || m.startsWith(r + "/")) {
                out.add(Path.of(m));
            }
        }
        out.sort(Comparator.comparingInt((Path p) -> p.getNameCount()).reversed());
        return out;
    }

    private static List<String> mountPoints() {
        List<String> points = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                if (f.length > 4) {
                    points.add(f[4].replace("\\040", " "));
                }
            }
        } catch (IOException e) {
            throw new RuntimeFailure("cannot read the mount table: " + e.getMessage(), e);
        }
        return points;
    }

    /** Runs a host command; fails with its output when it does not succeed. */
    public static String run(String... command) {
        return runAllowing(java.util.Set.of(0), command);
    }

    /** Runs a host command; fails with its output when it exits with a status not in {@code ok}. */
    public static String runAllowing(java.util.Set<Integer> ok, String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new RuntimeFailure(command[0] + " did not finish");
            }
            if (!ok.contains(p.exitValue())) {
                throw new RuntimeFailure(String.join(" ", command) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new RuntimeFailure("cannot run " + command[0] + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure("interrupted while running " + command[0]);
        }
    }
}
