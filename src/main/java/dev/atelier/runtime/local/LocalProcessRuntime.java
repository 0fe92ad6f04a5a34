package dev.atelier.runtime.local;

import dev.atelier.runtime.host.HostMounts;
import dev.atelier.runtime.host.JupyterStatus;
import dev.atelier.runtime.host.Ports;
import dev.atelier.runtime.host.Trees;
import dev.atelier.core.model.StepStatus;
import dev.atelier.core.port.ChangeHints;
import dev.atelier.core.port.InstanceRuntime;
import dev.atelier.core.port.InstanceShell;
import dev.atelier.core.port.StorageAttachment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each instance as a {@code jupyter-server} process on 127.0.0.1 with its own port, token, base URL,
 * home directory and log file. The process runs in a session of its own, so it outlives a restart of the
 * control plane and is found again by {@link #poll}.
 *
 * <p>Layout under {@code <data-dir>/instances/<id>/}: the directory itself is the instance's home,
 * {@code work/} its volume (the server's root dir, reported as {@code /home/ma-user/work/}), the server's log in {@code <data-dir>/instance-logs/}
 * (out of the user's reach),
 * the server's log and Jupyter's runtime files.
 */
public final class LocalProcessRuntime implements InstanceRuntime, ChangeHints, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalProcessRuntime.class);
    private static final String PID = "pid";
    private static final String PORT = "port";
    private static final String BASE_URL = "base_url";
    private static final String UID = "uid";
    private static final String SANDBOX = "sandbox";
    private static final String CGROUP = "cgroup";
    /** A process inside the sandbox's own network, through which it is seen. */
    private static final String NET_PID = "net_pid";
    /** The capacity of a volume that is a plain directory, measured instead of enforced. */
    private static final String UNCAPPED_GB = "uncapped_capacity_gb";
    private static final int LOG_TAIL_LINES = 15;

    private final Path instancesDir;
    private final boolean sandboxed;
    private final boolean requireIsolation;
    private final Cgroups cgroups;
    private final boolean loopVolumes;
    private final UidRange uids;
    /** Each sandboxed instance's own network; null where instances share the host's. */
    private final InstanceNetwork network;
    private final String networkProblem;
    private final String isolationProblem;
    private final JupyterStatus jupyter = new JupyterStatus();
    private final Ports ports = Ports.belowEphemeral();
    /** Log writes of starting servers, reported through {@link #onChange}. */
    private final LogWatch logs;
    /** The servers' processes: which is whose, and stopping them. */
    private final ServerProcesses processes;
    private final LocalShell shell;
    private final LocalStorage storage;

    /**
     * @param objectStoreDir the local object store: {@code obs://bucket/dir/} is {@code <objectStoreDir>/bucket/dir/}
     */
    public LocalProcessRuntime(Path dataDir, Path objectStoreDir, Duration stopGrace) {
        this(dataDir, objectStoreDir, stopGrace, false, false, "outbound");
    }

    /**
     * @param sandbox run every instance in a sandbox with cgroup limits, where the host can
     * @param requireIsolation refuse to start instances when it cannot
     * @param instanceNetwork how sandboxed instances reach the network: {@code outbound} (a namespace of their own,
     *     with outbound access), {@code none} (a namespace of their own, nothing outside) or {@code host}
     */
    public LocalProcessRuntime(Path dataDir, Path objectStoreDir, Duration stopGrace, boolean sandbox,
                               boolean requireIsolation, String instanceNetwork) {
        // absolute: the server's root dir is handed to a process that runs in another working directory
        this.instancesDir = dataDir.toAbsolutePath().normalize().resolve("instances");
        this.processes = new ServerProcesses(stopGrace);
        this.requireIsolation = requireIsolation;
        String problem = sandbox || requireIsolation ? Sandbox.problem() : "the sandbox is not enabled (--sandbox)";
        if (problem == null) {
            problem = Sandbox.untraversable(instancesDir.getParent());
        }
        Cgroups groups = problem == null ? Cgroups.detect() : null;
        if (problem == null && groups == null) {
            problem = "this host has no usable cgroups with memory, cpu and pids controllers";
        }
        this.isolationProblem = problem;
        this.sandboxed = problem == null;
        this.cgroups = groups;
        this.loopVolumes = sandboxed && HostMounts.loopVolumesAvailable();
        // this installation's own host uids: never another's, on a host that runs several
        this.uids = sandboxed ? UidRange.claim(dataDir) : null;
        InstanceNetwork.Mode mode = InstanceNetwork.Mode.parse(instanceNetwork);
        this.networkProblem = sandboxed ? InstanceNetwork.problem(mode) : "instances are not sandboxed";
        this.network = networkProblem == null ? InstanceNetwork.of(dataDir.toAbsolutePath().normalize(), mode) : null;
        if (sandboxed && network == null && mode != InstanceNetwork.Mode.HOST) {
            log.warn("sandboxed instances share the host's network: {}", networkProblem);
        }
        if (sandbox && !sandboxed) {
            log.warn("instances run without isolation: {}", problem);
        }
        this.logs = new LogWatch(instancesDir.resolveSibling("instance-logs"));
        this.storage = new LocalStorage(objectStoreDir.toAbsolutePath().normalize(), sandboxed, this::home, this::sandboxUid, this::mountsDir);
        this.shell = new LocalShell(sandboxed, this::home, this::sandboxUid, cgroups, network);
        if (sandboxed) {
            // an instance's uid must reach its home to bind it (traverse, not list): 0711 on the way there
            try {
                Files.createDirectories(instancesDir);
                for (Path dir : List.of(instancesDir.getParent(), instancesDir)) {
                    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot prepare " + instancesDir + " for sandboxes", e);
            }
        }
    }

    /** Change hints are this class's own; sessions and port connections its shell's, attached storage its storage's. */
    @Override
    public <T> Optional<T> capability(Class<T> type) {
        return type == InstanceShell.class ? Optional.of(type.cast(shell))
                : type == StorageAttachment.class ? Optional.of(type.cast(storage))
                : InstanceRuntime.super.capability(type);
    }

    /** What this runtime can enforce on this host, for the operator. */
    public Map<String, Object> capabilities() {
        Map<String, Object> c = new java.util.LinkedHashMap<>();
        c.put("sandbox", sandboxed ? "bubblewrap" : "none");
        if (uids != null) {
            c.put("uids", uids.toString());
        }
        c.put("network", network == null ? "the host's (" + networkProblem + ")"
                : "a namespace per instance, " + (network.mode() == InstanceNetwork.Mode.OUTBOUND
                ? "with outbound access" : "with no outbound access") + ", the host's loopback unreachable");
        c.put("cgroups", cgroups == null ? "none" : cgroups.version().name().toLowerCase(java.util.Locale.ROOT));
        c.put("volumes", loopVolumes ? "loop-mounted ext4 (capacity enforced)" : "directories (capacity not enforced)");
        c.put("isolation_required", requireIsolation);
        if (!sandboxed) {
            c.put("isolation_problem", isolationProblem);
        }
        c.put("gpus", Files.exists(Path.of("/dev/nvidia0")));
        return c;
    }

    /**
     * Gives the home to the instance's own uid and prepares its storage: the capacity-capped volume at
     * {@code work} (where loop mounts are available) and the shared mount point for dynamic storage.
     */
    private int prepareSandboxStorage(LaunchSpec spec, Path home, Path work) throws IOException {
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

    /** Where storage attached to a sandboxed instance is mounted on the host. */
    private Path mountsDir(String instanceId) {
        return instancesDir.resolveSibling("mounts").resolve(instanceId);
    }

    /** The notebook server's log: the server's, out of the user's reach. */
    private Path logFile(String instanceId) {
        return instancesDir.resolveSibling("instance-logs").resolve(instanceId + ".log");
    }

    private Path volumeImage(String instanceId) {
        return instancesDir.resolveSibling("volumes").resolve(instanceId + ".ext4");
    }

    /** The instance's sandbox uid, if it was ever launched in a sandbox of this installation. */
    java.util.OptionalInt sandboxUid(String instanceId) {
        try {
            int owner = (Integer) Files.getAttribute(home(instanceId), "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            return uids != null && uids.contains(owner) ? java.util.OptionalInt.of(owner)
                    : java.util.OptionalInt.empty();
        } catch (IOException e) {
            return java.util.OptionalInt.empty();
        }
    }

    /** Something to tell the user about a running instance: processes its memory limit killed. */
    private String notice(String instanceId, Map<String, String> state) {
        if (cgroups != null && state.containsKey(CGROUP)) {
            long kills = cgroups.oomKills(instanceId);
            if (kills > 0) {
                return kills + " process(es) of this instance were killed for exceeding its flavor's memory limit; "
                        + "the notebook server still runs";
            }
        }
        String capacity = state.get(UNCAPPED_GB);
        return capacity == null ? null : overCapacity(instanceId, Integer.parseInt(capacity));
    }

    /**
     * When a volume is a plain directory its capacity cannot be enforced; it is measured every 10 s, and what the
     * last measurement found is said until the next.
     */
    private final Map<String, Measured> lastMeasured = new java.util.concurrent.ConcurrentHashMap<>();

    private record Measured(long at, String notice) {
    }

    private String overCapacity(String instanceId, int capacityGb) {
        long now = System.currentTimeMillis();
        Measured last = lastMeasured.get(instanceId);
        if (last != null && now - last.at() < 10_000) {
            return last.notice();
        }
        String notice = measure(instanceId, capacityGb);
        lastMeasured.put(instanceId, new Measured(now, notice));
        return notice;
    }

    private String measure(String instanceId, int capacityGb) {
        long used;
        try (var files = Files.walk(home(instanceId).resolve("work"))) {
            used = files.filter(f -> Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException | java.io.UncheckedIOException e) {
            return null;
        }
        long capacity = capacityGb * 1024L * 1024 * 1024;
        return used <= capacity ? null : String.format(java.util.Locale.ROOT, "the work volume holds %.1f GB, more "
                + "than its %d GB capacity, which this host cannot enforce; please free space",
                used / (1024.0 * 1024 * 1024), capacityGb);
    }

    /**
     * The host GPUs a GPU flavor gets: the first {@code count} of /dev/nvidia0..N. (Sharing GPUs among
     * instances is not arbitrated yet: two instances of a GPU flavor get the same devices.)
     */
    private static List<Integer> gpusFor(LaunchSpec spec) {
        if (spec.flavor().gpu() == null) {
            return List.of();
        }
        List<Integer> found = new ArrayList<>();
        for (int i = 0; i < 64 && found.size() < spec.flavor().gpu().count(); i++) {
            if (Files.exists(Path.of("/dev/nvidia" + i))) {
                found.add(i);
            }
        }
        if (found.size() < spec.flavor().gpu().count()) {
            throw new RuntimeFailure("flavor " + spec.flavor().id() + " needs " + spec.flavor().gpu().count()
                    + " GPU(s) and this host has " + found.size());
        }
        return found;
    }

    /** A registered image's environment outside /usr has to be visible (read-only) inside the sandbox. */
    private static Path imageEnvironment(Path jupyter) {
        Path env = jupyter.toAbsolutePath().getParent().getParent();
        return env.startsWith("/usr") ? null : env;
    }

    @Override
    public Launch launch(LaunchSpec spec, ProgressListener progress) {
        Path home = home(spec.instanceId());
        Path work = home.resolve("work");
        int sandboxUid = -1;
        // nothing is recorded of a server for this instance (else the reconciler would poll it, not launch): one
        // that runs all the same was started by a launch that a crash cut off before it could be recorded
        stopUnrecorded(spec.instanceId());

        progress.step(1, StepStatus.PROCESSING);
        try {
            Files.createDirectories(instancesDir);
            if (!Files.exists(home) && spec.image().skeleton() != null) {
                // an instance of a saved image starts with what its source instance's user had installed
                Path staging = instancesDir.resolve("." + spec.instanceId() + ".new");
                Trees.delete(staging);
                Trees.copy(Path.of(spec.image().skeleton()), staging, LocalImages.NOT_SAVED);
                Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwx------"));
                Files.move(staging, home, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            Files.createDirectories(home, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.createDirectories(work);
            Files.createDirectories(logFile(spec.instanceId()).getParent(),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            if (sandboxed) {
                sandboxUid = prepareSandboxStorage(spec, home, work);
            }
        } catch (IOException e) {
            throw new RuntimeFailure("cannot prepare storage for the instance: " + e.getMessage(), e);
        }
        dev.atelier.core.CrashPoints.reach("launch.storage");
        progress.step(1, StepStatus.COMPLETED);

        // steps 2 and 3 take microseconds here: reported done, never under way (each report under way is a write)
        Path jupyter = Path.of(spec.image().runnable());
        if (!Files.isExecutable(jupyter)) {
            throw new RuntimeFailure("the image's notebook server " + jupyter + " is not installed on this host "
                    + "(Debian: apt-get install jupyter-server python3-ipykernel python3-nbclassic)");
        }
        int port = ports.take();
        progress.step(2, StepStatus.COMPLETED);

        String baseUrl = "/notebook/" + spec.instanceId() + "/";
        progress.step(3, StepStatus.COMPLETED);

        // inside a sandbox the instance's home is /home/ma-user; outside it is the home's host path
        Path seenHome = sandboxed ? Path.of(Sandbox.HOME) : home;
        // in a network of its own it listens on that network's link, where the forwarded port arrives
        List<String> server = List.of(jupyter.toString(), "--no-browser", "--allow-root",
                network != null ? "--ip=0.0.0.0" : "--ip=127.0.0.1",
                "--port=" + port, "--port-retries=0", "--ServerApp.base_url=" + baseUrl,
                "--ServerApp.root_dir=" + seenHome.resolve("work"), "--ServerApp.default_url=/tree",
                // the instance lives as long as Atelier says, not until someone clicks Quit
                "--ServerApp.quit_button=False");
        List<String> command = new ArrayList<>();
        Map<String, String> extraState = new java.util.HashMap<>();
        if (sandboxed) {
            try {
                int uid = sandboxUid;
                List<Path> groups = cgroups == null ? List.of() : cgroups.create(spec.instanceId(),
                        spec.flavor().memoryMib() * 1024 * 1024, spec.flavor().vcpus(), spec.flavor().maxProcesses());
                command.addAll(Sandbox.wrap(server, home, mountsDir(spec.instanceId()), uid, groups,
                        network == null ? List.of() : network.sandboxArguments(),
                        imageEnvironment(jupyter), gpusFor(spec)));
                extraState.put(UID, Integer.toString(uid));
                extraState.put(SANDBOX, "bubblewrap");
                if (cgroups != null) {
                    extraState.put(CGROUP, cgroups.version().name());
                }
            } catch (IOException e) {
                throw new RuntimeFailure("cannot prepare the sandbox: " + e.getMessage(), e);
            }
        } else {
            if (requireIsolation) {
                throw new RuntimeFailure("this server requires isolation, and this host cannot provide it: "
                        + isolationProblem);
            }
            if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
                command.add("/usr/bin/setsid");
            }
            command.addAll(server);
        }
        ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(spec.instanceId()).toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", seenHome.toString());
        env.put("LANG", "C.UTF-8");
        env.put("JUPYTER_TOKEN", spec.token());
        env.put("JUPYTER_CONFIG_DIR", seenHome.resolve(".jupyter").toString());
        env.put("JUPYTER_DATA_DIR", seenHome.resolve(".local/share/jupyter").toString());
        env.put("JUPYTER_RUNTIME_DIR", sandboxed ? "/tmp/.jupyter-runtime" : home.resolve(".atelier/runtime").toString());
        env.put("IPYTHONDIR", seenHome.resolve(".ipython").toString());
        logs.await(spec.instanceId()); // before it can write a line: none is missed
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new RuntimeFailure("cannot start the notebook server: " + e.getMessage(), e);
        }
        // ours by construction: later checks need no command line, which reads empty while a sandbox's chain of
        // exec()s runs
        processes.remember(spec.instanceId(), process.toHandle());
        // a server that dies without a last word in its log is reported too
        process.onExit().thenRun(() -> {
            logs.reportIfAwaited(spec.instanceId());
        });
        log.info("instance {}: started jupyter-server pid {} on 127.0.0.1:{}{}", spec.instanceId(), process.pid(), port,
                sandboxed ? " in a sandbox as uid " + extraState.get(UID) : "");
        if (network != null) {
            try {
                long holder = ServerProcesses.insideNetwork(process.toHandle());
                network.attach(spec.instanceId(), holder, port);
                extraState.put(NET_PID, Long.toString(holder));
            } catch (RuntimeException e) {
                processes.terminate(spec.instanceId(), process.toHandle()); // nothing recorded would name it
                network.detach(spec.instanceId());
                throw e instanceof RuntimeFailure f ? f : new RuntimeFailure(e.getMessage(), e);
            }
        }
        Map<String, String> state = new java.util.HashMap<>(extraState);
        if (!loopVolumes) {
            state.put(UNCAPPED_GB, Integer.toString(spec.volume().capacityGb()));
        }
        state.putAll(Map.of(PID, Long.toString(process.pid()), PORT, Integer.toString(port), BASE_URL, baseUrl));
        return new Launch(state, "http://127.0.0.1:" + port + baseUrl + "tree");
    }

    @Override
    public Health poll(String instanceId, String token, Map<String, String> state) {
        Optional<ProcessHandle> process = processes.ours(instanceId, state.get(PID));
        if (process.isEmpty()) {
            logs.forget(instanceId);
            return Health.failed("the notebook server exited. " + logTail(instanceId, token));
        }
        if (network != null && state.containsKey(NET_PID) && !network.attached(instanceId)) {
            // its link is gone (killed, or the host rebooted it away): the server runs, so give it a new one
            log.warn("instance {}: its network link had stopped; starting it again", instanceId);
            network.attach(instanceId, Long.parseLong(state.get(NET_PID)), Integer.parseInt(state.get(PORT)));
        }
        // watched before the look: a log write during it is reported, not missed
        boolean hinted = logs.await(instanceId);
        if (!listening(Integer.parseInt(state.get(PORT)), state.get(NET_PID))) {
            // nothing listens yet: Jupyter logs what it does as it starts, and it has bound its port before it
            // logs that it is running; so the next log write is the next thing worth a look
            return hinted ? Health.startingUntilChange() : Health.starting();
        }
        var answer = jupyter.ask("http://127.0.0.1:" + state.get(PORT) + state.get(BASE_URL), token);
        if (answer.isEmpty()) {
            return Health.starting();
        }
        logs.forget(instanceId);
        return Health.ready(answer.get().orElse(null), notice(instanceId, state));
    }

    /**
     * Reports every write to the log of a starting server (see {@link LogWatch}); where the host cannot watch the
     * directory of logs, servers are polled as before.
     */
    @Override
    public void onChange(java.util.function.Consumer<String> listener) {
        logs.start(listener);
    }

    @Override
    public void close() {
        logs.close();
    }

    /**
     * Whether anything accepts connections on the port. For most of a server's start nothing listens yet, and it is
     * looked at on every write to its log: a refused connect costs far less than the HTTP client's request machinery.
     */
    private static boolean listening(int port, String netPid) {
        if (netPid != null) {
            // the forwarded port always accepts on the host: whether the server listens shows inside its network
            return dev.atelier.runtime.host.PortRelay.listensIn(Long.parseLong(netPid), port, -1);
        }
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 800);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void stop(String instanceId, Map<String, String> state) {
        logs.forget(instanceId);
        processes.ours(instanceId, state.get(PID)).ifPresent(p -> processes.terminate(instanceId, p));
        processes.forget(instanceId);
        cleanUp(instanceId);
    }

    /**
     * What a stopped instance must not keep, whether it stopped, crashed or never got going: its mounts (the next
     * run mounts again) and its cgroups.
     */
    private void cleanUp(String instanceId) {
        if (network != null) {
            network.detach(instanceId);
        }
        if (cgroups != null) {
            cgroups.remove(instanceId);
        }
        HostMounts.unmountAll(mountsDir(instanceId));
        HostMounts.unmountAll(home(instanceId));
    }

    @Override
    public java.util.Set<String> instancesOnHost() {
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

    /** Stops every process started for the instance that no record names: a launch's that a crash cut off. */
    private void stopUnrecorded(String instanceId) {
        processes.forget(instanceId);
        List<ProcessHandle> strays = ServerProcesses.under(home(instanceId));
        if (!strays.isEmpty()) {
            log.warn("instance {}: stopping {} process(es) of an earlier launch that was never recorded", instanceId,
                    strays.size());
            strays.stream().filter(ProcessHandle::isAlive).forEach(p -> processes.terminate(instanceId, p));
            cleanUp(instanceId);
        }
    }

    @Override
    public void release(String instanceId) {
        logs.forget(instanceId);
        processes.forget(instanceId);
        Path home = home(instanceId);
        // anything still running from the instance's directory goes first
        ServerProcesses.under(home(instanceId)).stream().filter(ProcessHandle::isAlive).forEach(p -> processes.terminate(instanceId, p));
        // never delete through a mount: that would delete attached storage's data, or fail half-way
        cleanUp(instanceId);
        Trees.delete(home);
        Trees.delete(mountsDir(instanceId));
        if (network != null) {
            network.release(instanceId); // its link was ended with the rest above (cleanUp)
        }
        Trees.delete(instancesDir.resolve("." + instanceId + ".new"));
        try {
            Files.deleteIfExists(volumeImage(instanceId));
            Files.deleteIfExists(volumeImage(instanceId).resolveSibling(instanceId + ".ext4.partial"));
            Files.deleteIfExists(logFile(instanceId));
        } catch (IOException e) {
            throw new RuntimeFailure("cannot remove the volume of " + instanceId + ": " + e.getMessage(), e);
        }
    }

    /**
     * Links {@code <work>/data/<name>} to the object-store directory of {@code uri}: the notebook sees the mount
     * {@code /data/<name>/} as the folder {@code data/<name>} of its tree. Deleting the instance removes the
     * link, never the data.
     */
    /** The instance's home directory on the host. */
    public Path home(String instanceId) {
        if (!instanceId.matches("[0-9a-f-]{36}")) {
            throw new IllegalArgumentException("not an instance id: " + instanceId);
        }
        return instancesDir.resolve(instanceId);
    }

    /** The last lines of the server's log, with the instance token blanked out. */
    String logTail(String instanceId, String token) {
        Path file = logFile(instanceId);
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
            return "Last lines of its log:\n" + tail.replace(token, "<token>");
        } catch (IOException e) {
            return "Its log could not be read: " + e.getMessage();
        }
    }

}
