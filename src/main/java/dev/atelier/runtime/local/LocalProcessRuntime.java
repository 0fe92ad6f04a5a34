package dev.atelier.runtime.local;

import dev.atelier.runtime.host.HostMounts;
import dev.atelier.runtime.host.JupyterStatus;
import dev.atelier.runtime.host.Ports;
import dev.atelier.core.model.StepStatus;
import dev.atelier.core.port.ChangeHints;
import dev.atelier.core.port.InstanceRuntime;
import dev.atelier.core.port.InstanceShell;
import dev.atelier.core.port.StorageAttachment;
import java.io.IOException;
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
public final class LocalProcessRuntime implements InstanceRuntime, ChangeHints, AutoCloseable,
        dev.atelier.runtime.host.WarmRuntime.Engine {
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

    private final Path instancesDir;
    /** Where each instance's files are. */
    private final InstanceLayout layout;
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
    private final VolumeMeter meter = new VolumeMeter(this::home);

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
        this.layout = new InstanceLayout(instancesDir);
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
        this.storage = new LocalStorage(objectStoreDir.toAbsolutePath().normalize(), sandboxed, this::home, this::sandboxUid, layout::mountsDir);
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
        return capacity == null ? null : meter.overCapacity(instanceId, Integer.parseInt(capacity));
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
            layout.prepare(spec);
            if (sandboxed) {
                sandboxUid = layout.prepareSandbox(spec, work, uids, loopVolumes);
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
        List<String> server = ServerCommand.jupyter(jupyter, network != null, port, baseUrl, seenHome);
        Map<String, String> extraState = new java.util.HashMap<>();
        List<String> command = command(spec, server, jupyter, sandboxUid, extraState);
        ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(layout.logFile(spec.instanceId()).toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(ServerCommand.environment(spec.token(), seenHome,
                sandboxed ? "/tmp/.jupyter-runtime" : home.resolve(".atelier/runtime").toString()));
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

    /**
     * The host command that starts {@code server}: in a sandbox as {@code uid} with its cgroups, network and devices
     * (what it set up is added to {@code extraState}), or in a session of its own where there is no sandbox.
     */
    private List<String> command(LaunchSpec spec, List<String> server, Path jupyter, int sandboxUid,
                                 Map<String, String> extraState) {
        Path home = home(spec.instanceId());
        List<String> command = new ArrayList<>();
        if (sandboxed) {
            try {
                int uid = sandboxUid;
                List<Path> groups = cgroups == null ? List.of() : cgroups.create(spec.instanceId(),
                        spec.flavor().memoryMib() * 1024 * 1024, spec.flavor().vcpus(), spec.flavor().maxProcesses());
                command.addAll(Sandbox.wrap(server, home, layout.mountsDir(spec.instanceId()), uid, groups,
                        network == null ? List.of() : network.sandboxArguments(),
                        ServerCommand.imageEnvironment(jupyter), ServerCommand.gpusFor(spec)));
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
        return command;
    }

    /** Through the instance's cgroups; a host without them has nothing to change. */
    @Override
    public void cpuPriority(String id, Map<String, String> state, boolean lowest) {
        if (cgroups != null && state.containsKey(CGROUP)) {
            cgroups.lowestPriority(id, lowest);
        }
    }

    /** The flavor's limits written to the instance's cgroups; a host without them has nothing to change. */
    @Override
    public void limit(String id, Map<String, String> state, dev.atelier.core.model.Flavor flavor) {
        if (cgroups != null && state.containsKey(CGROUP)) {
            try {
                cgroups.create(id, flavor.memoryMib() * 1024 * 1024, flavor.vcpus(), flavor.maxProcesses());
            } catch (IOException e) {
                throw new RuntimeFailure("cannot set the instance's limits: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public Health poll(String instanceId, String token, Map<String, String> state) {
        Optional<ProcessHandle> process = processes.ours(instanceId, state.get(PID));
        if (process.isEmpty()) {
            logs.forget(instanceId);
            return Health.failed("the notebook server exited. " + logs.tail(instanceId, token));
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
        HostMounts.unmountAll(layout.mountsDir(instanceId));
        HostMounts.unmountAll(home(instanceId));
    }

    @Override
    public java.util.Set<String> instancesOnHost() {
        return layout.idsOnHost();
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
        // anything still running from the instance's directory goes first
        ServerProcesses.under(home(instanceId)).stream().filter(ProcessHandle::isAlive).forEach(p -> processes.terminate(instanceId, p));
        // never delete through a mount: that would delete attached storage's data, or fail half-way
        cleanUp(instanceId);
        if (network != null) {
            network.release(instanceId); // its link was ended with the rest above (cleanUp)
        }
        layout.deleteFiles(instanceId);
    }

    /** The instance's home directory on the host. */
    public Path home(String instanceId) {
        return layout.home(instanceId);
    }
}
