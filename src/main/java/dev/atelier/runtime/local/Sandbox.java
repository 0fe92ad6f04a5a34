package dev.atelier.runtime.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs an instance's server under its own unprivileged host uid (setpriv) inside a bubblewrap sandbox: its
 * own user, pid, IPC and UTS namespaces, the host's /usr and /etc read-only, a private /tmp, its home at
 * /home/ma-user and nothing else of the host's files — not the data dir, the database, other instances or the
 * server's credentials. The network is shared so that the server can listen on the host's 127.0.0.1.
 */
final class Sandbox {
    static final String HOME = "/home/ma-user";
    static final String BWRAP = "/usr/bin/bwrap";
    static final String SETPRIV = "/usr/bin/setpriv";
    /** The uid the probe runs as: any unprivileged one will do. */
    private static final int PROBE_UID = UidRange.BASE;
    private static final int INSIDE_UID = 1000;

    private Sandbox() {
    }

    /** Whether this host can run sandboxes: the tools exist and an unprivileged user namespace works. */
    static String problem() {
        if (!Files.isExecutable(Path.of(BWRAP))) {
            return "bubblewrap is not installed (apt-get install bubblewrap)";
        }
        if (!Files.isExecutable(Path.of(SETPRIV))) {
            return "setpriv is not installed (util-linux)";
        }
        try {
            Process p = new ProcessBuilder(SETPRIV, "--reuid=" + PROBE_UID, "--regid=" + PROBE_UID, "--clear-groups",
                    BWRAP, "--unshare-user", "--uid", "1000", "--unshare-pid", "--ro-bind", "/usr", "/usr",
                    "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                    "/usr/bin/true").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return "an unprivileged sandbox cannot start here: " + out.trim();
            }
            return null;
        } catch (IOException e) {
            return "cannot run bubblewrap: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while probing the sandbox";
        }
    }

    /**
     * Why instance uids could not reach their homes under {@code dataDir}: a directory on the way there that
     * other users cannot traverse (the data dir itself is made traversable). Null when nothing is in the way.
     */
    static String untraversable(Path dataDir) {
        for (Path p = dataDir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            try {
                if (!Files.getPosixFilePermissions(p).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                    return "sandboxed instances cannot reach their homes: " + p + " is not traversable by other "
                            + "users; put the data dir elsewhere (for example /var/lib/atelier)";
                }
            } catch (IOException e) {
                return "cannot check " + p + ": " + e.getMessage();
            }
        }
        return null;
    }

    /**
     * The host uid of an instance: the owner of its home when it already has one of this installation's range,
     * else the lowest uid of the range that no other instance home uses. Synchronized: two launches never get the
     * same uid.
     */
    static synchronized int uidFor(Path instancesDir, Path home, UidRange range) throws IOException {
        if (Files.exists(home)) {
            int owner = (Integer) Files.getAttribute(home, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (range.contains(owner)) {
                return owner;
            }
        }
        java.util.Set<Integer> used = new java.util.HashSet<>();
        try (Stream<Path> homes = Files.list(instancesDir)) {
            for (Path h : homes.toList()) {
                used.add((Integer) Files.getAttribute(h, "unix:uid", LinkOption.NOFOLLOW_LINKS));
            }
        }
        for (int uid = range.first(); uid <= range.last(); uid++) {
            if (!used.contains(uid)) {
                chown(home, uid);
                return uid;
            }
        }
        throw new IOException("no free sandbox uid left");
    }

    /** Gives the tree to {@code uid} (links themselves, never what they point to). */
    static void chown(Path root, int uid) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
            }
        }
    }

    /**
     * The command that joins {@code cgroups} (as root, before dropping privileges), becomes {@code uid} and runs
     * {@code command} in the sandbox, with {@code home} at /home/ma-user.
     */
    static List<String> wrap(List<String> command, Path home, Path mounts, int uid, List<Path> cgroups,
                             List<String> network, Path imageEnvironment, List<Integer> gpus) {
        List<String> out = new ArrayList<>();
        StringBuilder join = new StringBuilder();
        for (Path g : cgroups) {
            join.append("echo $$ > '").append(g.resolve("cgroup.procs")).append("' && ");
        }
        out.addAll(List.of("/bin/sh", "-c", join + "exec \"$@\"", "atelier-sandbox"));
        out.addAll(List.of(SETPRIV, "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--inh-caps=-all",
                BWRAP, "--unshare-user", "--uid", Integer.toString(INSIDE_UID), "--gid", Integer.toString(INSIDE_UID),
                "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--new-session",
                "--hostname", "notebook",
                "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
                "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin", "--symlink", "usr/lib", "/lib",
                "--symlink", "usr/lib64", "/lib64",
                "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                "--bind", home.toString(), HOME, "--bind", mounts.toString(), HOME + "/work/data",
                "--chdir", HOME + "/work"));
        out.addAll(network);
        if (imageEnvironment != null) {
            out.addAll(List.of("--ro-bind", imageEnvironment.toString(), imageEnvironment.toString()));
        }
        if (!gpus.isEmpty()) {
            // the flavor's GPUs and the driver's control devices, nothing else of the host's /dev
            for (String dev : List.of("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools")) {
                if (Files.exists(Path.of(dev))) {
                    out.addAll(List.of("--dev-bind", dev, dev));
                }
            }
            List<String> visible = new ArrayList<>();
            for (int i = 0; i < gpus.size(); i++) {
                out.addAll(List.of("--dev-bind", "/dev/nvidia" + gpus.get(i), "/dev/nvidia" + i));
                visible.add(Integer.toString(i));
            }
            out.addAll(List.of("--setenv", "CUDA_VISIBLE_DEVICES", String.join(",", visible)));
        }
        out.addAll(command);
        return out;
    }
}
