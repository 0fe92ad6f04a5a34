package dev.atelier.runtime.local;

import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import dev.atelier.core.port.InstanceShell;
import dev.atelier.runtime.host.PortRelay;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions in a local instance and connections to its ports. In a sandbox a session joins the instance's
 * namespaces and cgroups as its uid ({@link #enter}); with a terminal, {@code script} gives it a real one inside the
 * sandbox, resized with {@code stty} run there as the instance's user. Ports of an instance with a network of its
 * own are reached through a relay run inside it.
 */
final class LocalShell implements InstanceShell {
    private static final Logger log = LoggerFactory.getLogger(LocalShell.class);

    private final boolean sandboxed;
    private final Function<String, Path> home;
    private final Function<String, OptionalInt> sandboxUid;
    private final Cgroups cgroups;
    private final InstanceNetwork network;

    /** {@code cgroups} and {@code network} are null where the host has none for instances. */
    LocalShell(boolean sandboxed, Function<String, Path> home, Function<String, OptionalInt> sandboxUid,
               Cgroups cgroups, InstanceNetwork network) {
        this.sandboxed = sandboxed;
        this.home = home;
        this.sandboxUid = sandboxUid;
        this.cgroups = cgroups;
        this.network = network;
    }

    @Override
    public Session open(String instanceId, Request request) throws IOException {
        List<String> command = new ArrayList<>();
        if (request.argv() != null) {
            command.addAll(request.argv());
        } else {
            String shell = request.commandLine() == null ? "exec /bin/bash -l"
                    : "exec /bin/bash -c " + quote(request.commandLine());
            Terminal t = request.terminal();
            if (t != null) {
                // a real terminal inside the sandbox, of the client's size; resized when the client's is
                String size = "stty rows " + t.rows() + " cols " + t.columns() + " 2>/dev/null; ";
                command.addAll(List.of("/usr/bin/env", "TERM=" + t.type(), "/usr/bin/script", "-qfec", size + shell,
                        "/dev/null"));
            } else {
                command.addAll(List.of("/bin/bash", "-c", shell));
            }
        }
        Process process = hostProcess(enter(instanceId, command)).start();
        return new LocalSession(instanceId, process);
    }

    @Override
    public Connection connect(String instanceId, int port) throws IOException {
        List<String> relay = portRelay(instanceId, port);
        if (relay == null) {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            } catch (IOException e) {
                socket.close();
                throw e;
            }
            return Connection.of(socket.getInputStream(), socket.getOutputStream(), socket);
        }
        Process p = new ProcessBuilder(relay).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (p.getInputStream().read() != '+') { // the relay's word that it is connected
            p.destroyForcibly();
            throw new java.net.ConnectException("nothing accepts connections on port " + port + " in the instance");
        }
        return Connection.of(p.getInputStream(), p.getOutputStream(), p::destroyForcibly);
    }

    /** A host process with nothing of the server's environment (a database URL, say). */
    private static ProcessBuilder hostProcess(List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        return pb;
    }

    /** A session: the host process that entered the instance. */
    private final class LocalSession implements Session {
        private final String instanceId;
        private final Process process;
        private final java.util.concurrent.atomic.AtomicBoolean resizing = new java.util.concurrent.atomic.AtomicBoolean();
        private volatile int[] asked;

        LocalSession(String instanceId, Process process) {
            this.instanceId = instanceId;
            this.process = process;
        }

        @Override
        public OutputStream stdin() {
            return process.getOutputStream();
        }

        @Override
        public InputStream stdout() {
            return process.getInputStream();
        }

        @Override
        public InputStream stderr() {
            return process.getErrorStream();
        }

        @Override
        public int waitFor() throws InterruptedException {
            return process.waitFor();
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroy);
                process.destroy();
            }
        }

        /**
         * Resizes come in bursts while a window is dragged: one runs at a time, at most ten a second, and the last
         * size asked for is the one that stays.
         */
        @Override
        public void resize(int columns, int rows) {
            Terminal t = new Terminal(null, columns, rows);
            asked = new int[] {t.columns(), t.rows()};
            if (!resizing.compareAndSet(false, true)) {
                return;
            }
            Thread.ofVirtual().start(() -> {
                do {
                    try {
                        int[] size;
                        while ((size = asked) != null) {
                            asked = null;
                            applySize(size[1], size[0]);
                            Thread.sleep(100);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        resizing.set(false);
                    }
                } while (asked != null && resizing.compareAndSet(false, true));
            });
        }

        /**
         * Sets the size of the terminal that {@code script} made for the session: {@code stty} on it, run inside the
         * instance as its user (the terminal is the instance's, and nothing of the instance is opened as root).
         */
        private void applySize(int rows, int cols) throws InterruptedException {
            Optional<String> tty = Optional.empty();
            // without a sandbox the session's process is script itself; in one, script runs further down
            for (int attempt = 0; attempt < 20 && tty.isEmpty() && process.isAlive(); attempt++) {
                if (attempt > 0) {
                    Thread.sleep(100); // a session just opened: its terminal is being made
                }
                tty = java.util.stream.Stream.concat(java.util.stream.Stream.of(process.toHandle()),
                                process.descendants())
                        .filter(h -> "script".equals(Proc.comm(h.pid()))).findFirst()
                        .flatMap(script -> script.children().findFirst())
                        .flatMap(shell -> terminalOf(shell.pid()));
            }
            if (tty.isEmpty()) {
                return; // already gone
            }
            try {
                Process stty = hostProcess(enter(instanceId, List.of("/usr/bin/stty", "-F", tty.get(), "rows",
                        Integer.toString(rows), "cols", Integer.toString(cols))))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!stty.waitFor(10, TimeUnit.SECONDS)) {
                    stty.destroyForcibly();
                }
            } catch (IOException | RuntimeException e) {
                log.debug("cannot resize the terminal of a session of {}: {}", instanceId, e.toString());
            }
        }
    }

    /** The terminal on a process's standard input, as the process names it: {@code /dev/pts/N}. */
    private static Optional<String> terminalOf(long pid) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "fd", "0")).toString();
            return target.matches("/dev/pts/[0-9]{1,6}") ? Optional.of(target) : Optional.empty();
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /**
     * The host command that runs {@code command} inside the running instance: in its sandbox, as its user, in its
     * working directory, with its resource limits.
     */
    List<String> enter(String instanceId, List<String> command) {
        List<String> env = List.of("/usr/bin/env", "-i", "HOME=" + (sandboxed ? Sandbox.HOME : home.apply(instanceId)),
                "USER=ma-user", "LOGNAME=ma-user", "SHELL=/bin/bash", "LANG=C.UTF-8",
                "PATH=/usr/local/bin:/usr/bin:/bin");
        List<String> out = new ArrayList<>();
        if (!sandboxed) {
            Path work = home.apply(instanceId).resolve("work");
            out.addAll(List.of("/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", work.toString()));
            out.addAll(env);
            out.addAll(command);
            return out;
        }
        int uid = sandboxUid.apply(instanceId).orElseThrow(() -> new RuntimeFailure("instance " + instanceId
                + " has no sandbox user"));
        long inside = sandboxProcess(instanceId, uid).orElseThrow(() -> new RuntimeFailure("instance " + instanceId
                + " has no running sandbox to enter"));
        hostUser(uid);
        StringBuilder join = new StringBuilder();
        if (cgroups != null) {
            for (Path g : cgroups.of(instanceId)) {
                join.append("echo $$ > '").append(g.resolve("cgroup.procs")).append("' && ");
            }
        }
        // As root, with programs of the host only: join its cgroups, then, with no supplementary groups and no
        // new privileges from here on, its mount (with its root and working directory), pid, IPC, UTS and network
        // namespaces, and become its uid before anything of the sandbox's file system runs: no set-uid program
        // can raise the session again, and no program the instance planted ever runs as root. Its user
        // namespace is not joined: bubblewrap nests two, and the outer one, which owns the others, cannot be
        // named; so the session has the instance's host uid, which owns its files, rather than the uid 1000
        // its server sees.
        out.addAll(List.of("/bin/sh", "-c", join + "exec \"$@\"", "atelier-enter",
                Sandbox.SETPRIV, "--clear-groups", "--no-new-privs",
                "/usr/bin/nsenter", "--target=" + inside, "--mount", "--pid", "--ipc", "--uts"));
        if (network != null) {
            out.add("--net");
        }
        out.addAll(List.of("--root", "--wd", "--setuid=" + uid, "--setgid=" + uid, "--",
                "/bin/sh", "-c", "cd " + Sandbox.HOME + "/work && exec \"$@\"", "atelier-shell"));
        out.addAll(env);
        out.addAll(command);
        return out;
    }

    /**
     * Gives an instance uid a name in the host's user database (which sandboxes see through their read-only
     * /etc): {@code atelier-<uid>}, no login shell, no home on the host. Tools such as sftp-server refuse to run
     * for a uid without one.
     */
    private static synchronized void hostUser(int uid) {
        if (NAMED_UIDS.contains(uid)) {
            return; // every SSH session of an instance asks; the answer does not change
        }
        try {
            if (run("getent", "passwd", Integer.toString(uid)) == 0) {
                NAMED_UIDS.add(uid);
                return;
            }
            String name = "atelier-" + uid;
            boolean group = run("getent", "group", Integer.toString(uid)) == 0
                    || run("groupadd", "--system", "--gid", Integer.toString(uid), name) == 0;
            List<String> add = new ArrayList<>(List.of("useradd", "--system", "--no-create-home", "--home-dir",
                    Sandbox.HOME, "--shell", "/usr/sbin/nologin", "--uid", Integer.toString(uid)));
            add.addAll(group ? List.of("--gid", Integer.toString(uid)) : List.of("--no-user-group"));
            add.add(name);
            if (run(add.toArray(String[]::new)) != 0 && run("getent", "passwd", Integer.toString(uid)) != 0) {
                log.warn("cannot name uid {} in the host's user database: sftp into its instance will fail", uid);
            } else {
                NAMED_UIDS.add(uid);
            }
        } catch (IOException e) {
            log.warn("cannot name uid {} in the host's user database: {}", uid, e.toString());
        }
    }

    private static final java.util.Set<Integer> NAMED_UIDS = new java.util.HashSet<>();

    private static int run(String... command) throws IOException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public boolean servesPort(String instanceId, int port) {
        // a socket listening on that port, owned by the instance's own uid (sandboxed instances only: unsandboxed
        // ones share the server's uid, and so would every port of the server)
        java.util.OptionalInt uid = sandboxed ? sandboxUid.apply(instanceId) : java.util.OptionalInt.empty();
        if (uid.isEmpty()) {
            return false;
        }
        if (network != null) { // in the instance's own network: its tables are seen through one of its processes
            var inside = sandboxProcess(instanceId, uid.getAsInt());
            return inside.isPresent() && PortRelay.listensIn(inside.getAsLong(), port, uid.getAsInt());
        }
        return PortRelay.listensIn(ProcessHandle.current().pid(), port, uid.getAsInt());
    }

    /** The host command relaying stdin/stdout to the port inside the instance's network; null: the host's own. */
    private List<String> portRelay(String instanceId, int port) {
        return network == null ? null : enter(instanceId, List.of("/usr/bin/python3", "-c", PortRelay.SCRIPT,
                Integer.toString(port)));
    }

    /**
     * A process inside the instance's sandbox: one of its server's command line, run by its own uid (no other
     * instance's code can pose as it), in a mount namespace other than ours.
     */
    private java.util.OptionalLong sandboxProcess(String instanceId, int uid) {
        String marker = "/notebook/" + instanceId + "/";
        String ourMounts = Proc.namespace(ProcessHandle.current().pid(), "mnt");
        return ProcessHandle.allProcesses().filter(p -> Proc.commandLine(p.pid()).contains(marker))
                .mapToLong(ProcessHandle::pid).filter(pid -> {
                    String ns = Proc.namespace(pid, "mnt");
                    return ns != null && !ns.equals(ourMounts) && Proc.realUid(pid) == uid;
                }).min();
    }
}
