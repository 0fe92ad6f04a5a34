package dev.atelier.runtime.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Frame;
import dev.atelier.core.model.StepStatus;
import dev.atelier.core.port.InstanceRuntime;
import dev.atelier.core.port.InstanceShell;
import dev.atelier.core.port.StorageAttachment;
import dev.atelier.runtime.host.JupyterStatus;
import dev.atelier.runtime.host.Ports;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each instance as a container on a Docker engine: the instance's image, as uid 1000 with no capabilities
 * and no new privileges, the flavor's CPU, memory and process limits, on a bridge network of its own, its work
 * volume bind-mounted at {@code /home/ma-user/work}, and Jupyter's port published on 127.0.0.1 only. Jupyter reads
 * its token from a file mounted read-only, so the token is on no command line and in no {@code docker inspect}.
 *
 * <p>A stop removes the container: what the user changed outside the work volume is gone unless they saved the
 * instance as an image first, as on ModelArts. What each container has on the host: {@link ContainerFiles}.
 */
public final class DockerRuntime implements InstanceRuntime, dev.atelier.runtime.host.WarmRuntime.Engine {
    private static final Logger log = LoggerFactory.getLogger(DockerRuntime.class);
    static final String CONTAINER = "container";
    static final String PORT = "port";
    private static final int LOG_TAIL_LINES = 15;

    private final DockerEngine engine;
    private final InstanceNetworks networks;
    private final ContainerFiles files;
    /** Where the built-in image's files are put together. */
    private final Path scratchDir;
    private final Duration stopGrace;
    private final Ports ports = Ports.belowEphemeral();
    private final JupyterStatus jupyter = new JupyterStatus();
    /** How often the engine is asked about a container whose Jupyter does not answer yet. */
    private static final Duration STARTING_INSPECT_EVERY = Duration.ofMillis(250);
    /** When the engine was last asked about each container whose Jupyter did not answer then (monotonic ns). */
    private final Map<String, Long> startingInspected = new java.util.concurrent.ConcurrentHashMap<>();
    private final DockerShell shell;
    private final DockerStorage storage;

    /** {@code network}: which networks instances are on, {@code auto}, {@code bridge}, {@code shared} or {@code per-instance}. */
    public DockerRuntime(DockerEngine engine, Path dataDir, Path objectStoreDir, Duration stopGrace, String network) {
        this.engine = engine;
        this.networks = new InstanceNetworks(engine, InstanceNetworks.Mode.of(network));
        Path data = dataDir.toAbsolutePath().normalize();
        this.files = new ContainerFiles(data);
        this.scratchDir = data.resolve("tmp");
        this.stopGrace = stopGrace;
        this.shell = new DockerShell(engine, this::containerOf);
        this.storage = new DockerStorage(objectStoreDir.toAbsolutePath().normalize(), files::attachedDir);
    }

    @Override
    public <T> Optional<T> capability(Class<T> type) {
        return type == InstanceShell.class ? Optional.of(type.cast(shell))
                : type == StorageAttachment.class ? Optional.of(type.cast(storage))
                : InstanceRuntime.super.capability(type);
    }

    /** What this runtime enforces, for the operator. */
    public Map<String, Object> capabilities() {
        Map<String, Object> c = new java.util.LinkedHashMap<>();
        c.put("runtime", "docker");
        c.put("engine", engine.host());
        String problem = engine.problem();
        if (problem != null) {
            c.put("engine_problem", problem);
        }
        c.put("installation", engine.installation());
        c.put("network", networks.describe() + "; Jupyter published on 127.0.0.1 only");
        c.put("volumes", files.loopVolumes() ? "loop-mounted ext4 (capacity enforced)" : "directories (capacity not enforced)");
        c.put("registry", engine.registry() == null ? "none" : engine.registry());
        return c;
    }

    /**
     * The engine makes the instance's network and its container while the volume is made, grown and mounted here:
     * a container's mounts are bound when it starts, not when it is made, so only the start waits for the volume.
     */
    @Override
    public Launch launch(LaunchSpec spec, ProgressListener progress) {
        String id = spec.instanceId();
        String image = dev.atelier.runtime.host.NotebookContainer.reference(spec.image());
        long t0 = System.nanoTime();
        try (var background = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            var network = java.util.concurrent.CompletableFuture.supplyAsync(() -> networks.ensure(id), background);
            Path secret = files.prepare(spec);
            var storage = java.util.concurrent.CompletableFuture.runAsync(() -> files.prepareStorage(spec), background);
            boolean[] storageReported = {false};
            Runnable takesAWhile = () -> { // a pull or a build: say so
                if (!storageReported[0]) {
                    joined(storage);
                    progress.step(1, StepStatus.COMPLETED);
                    storageReported[0] = true;
                    progress.step(2, StepStatus.PROCESSING);
                }
            };
            if (image.equals(BaseImage.REFERENCE)) { // built at start; not where the engine did not answer then
                BaseImage.ensure(engine, scratchDir, line -> {
                    takesAWhile.run();
                    log.info("{}", line);
                });
            } else {
                DockerImages.ensurePresent(engine, image, takesAWhile);
            }
            int port = ports.take();
            ContainerPlan plan = ContainerPlan.of(id, engine.installation(), joined(network), spec.flavor(),
                    files.workDir(id), secret, files.attachedDir(id), port, spec.requestId());
            String container = create(id, image, plan);
            try {
                joined(storage);
            } catch (RuntimeException e) {
                removeContainer(id);
                throw e;
            }
            long tPrepared = System.nanoTime();
            dev.atelier.core.CrashPoints.reach("launch.storage");
            if (!storageReported[0]) {
                progress.step(1, StepStatus.COMPLETED);
            }
            progress.step(2, StepStatus.COMPLETED);
            dev.atelier.core.CrashPoints.reach("launch.created");
            start(id, container);
            progress.step(3, StepStatus.COMPLETED);
            log.debug("instance {}: launched in {} ms, {} ms of them until the container was made and the volume "
                    + "ready", id, (System.nanoTime() - t0) / 1_000_000, (tPrepared - t0) / 1_000_000);
            log.info("instance {}: started container {} of {} on 127.0.0.1:{}", id, container.substring(0, 12), image,
                    port);
            return new Launch(Map.of(CONTAINER, container, PORT, Integer.toString(port)),
                    "http://127.0.0.1:" + port + "/notebook/" + id + "/tree");
        }
    }

    /** The container's CPU shares: the fewest the engine allows, or its default. */
    @Override
    public void cpuPriority(String id, Map<String, String> state, boolean lowest) {
        try {
            engine.client().updateContainerCmd(state.get(CONTAINER)).withCpuShares(lowest ? 2 : 1024).exec();
        } catch (RuntimeException e) {
            throw engine.failure("cannot change the container's CPU share", e);
        }
    }

    /** The flavor's memory (swap none), CPUs and processes, as a container made for it has them. */
    @Override
    public void limit(String id, Map<String, String> state, dev.atelier.core.model.Flavor flavor) {
        long memory = flavor.memoryMib() * 1024 * 1024;
        try {
            engine.client().updateContainerCmd(state.get(CONTAINER)).withMemory(memory).withMemorySwap(memory)
                    .withNanoCPUs(flavor.vcpus() * 1_000_000_000L).withPidsLimit((long) flavor.maxProcesses()).exec();
        } catch (RuntimeException e) {
            throw engine.failure("cannot set the container's limits", e);
        }
    }

    private String create(String id, String image, ContainerPlan plan) {
        try {
            try {
                return createCmd(id, image, plan).exec().getId();
            } catch (ConflictException e) {
                // nothing is recorded for this instance (else it would be polled, not launched): a container of its
                // name is a launch's that a crash cut off before it was recorded; it goes, and this one is made
                removeContainer(id);
                return createCmd(id, image, plan).exec().getId();
            } catch (NotFoundException e) {
                if (!networks.shared()) {
                    throw e;
                }
                // the shared network was removed outside Atelier since it was made: made again
                networks.forget();
                plan.hostConfig().withNetworkMode(networks.ensure(id));
                return createCmd(id, image, plan).exec().getId();
            }
        } catch (RuntimeException e) {
            removeContainer(id);
            throw engine.failure("cannot make the container", e);
        }
    }

    private com.github.dockerjava.api.command.CreateContainerCmd createCmd(String id, String image,
                                                                          ContainerPlan plan) {
        return engine.client().createContainerCmd(image).withName(engine.nameOf(id))
                .withLabels(plan.labels()).withUser(ContainerPlan.USER).withHostName("notebook")
                .withEntrypoint(List.of()).withCmd(plan.command()).withEnv(plan.env())
                .withWorkingDir(ContainerPlan.WORK).withExposedPorts(ExposedPort.tcp(ContainerPlan.JUPYTER_PORT))
                .withHostConfig(plan.hostConfig());
    }

    private void start(String id, String container) {
        try {
            engine.client().startContainerCmd(container).exec();
        } catch (RuntimeException e) {
            removeContainer(id);
            throw engine.failure("cannot start the container", e);
        }
    }

    private static <T> T joined(java.util.concurrent.CompletableFuture<T> work) {
        try {
            return work.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    @Override
    public Health poll(String instanceId, String token, Map<String, String> state) {
        String base = "http://127.0.0.1:" + state.get(PORT) + "/notebook/" + instanceId + "/";
        Long inspected = startingInspected.get(instanceId);
        Optional<Optional<Boolean>> early = null;
        if (inspected != null && System.nanoTime() - inspected < STARTING_INSPECT_EVERY.toNanos()) {
            // a starting container is polled often: between the engine's looks at it (which find an exit), only
            // Jupyter is asked, whose answer is the news; ten starting at once would otherwise cost a core
            early = jupyter.ask(base, token);
            if (early.isEmpty()) {
                return Health.starting();
            }
        }
        InspectContainerResponse c;
        try {
            c = engine.client().inspectContainerCmd(state.get(CONTAINER)).exec();
        } catch (NotFoundException e) {
            return Health.failed("the instance's container is gone (removed outside Atelier?)");
        } catch (RuntimeException e) {
            if (DockerEngine.isUnreachable(e)) {
                return Health.unreachable(engine.unreachable(e));
            }
            throw e;
        }
        var s = c.getState();
        // a server that exited is failed, even where the engine's restart policy is starting it again (the policy
        // is for the engine's own restarts, which start containers without counting)
        if (!Boolean.TRUE.equals(s.getRunning()) || Boolean.TRUE.equals(s.getRestarting())
                || (c.getRestartCount() != null && c.getRestartCount() > 0)) {
            startingInspected.remove(instanceId);
            return Health.failed(exitReason(state.get(CONTAINER), s, token));
        }
        var answer = early != null ? early : jupyter.ask(base, token);
        if (answer.isEmpty()) {
            startingInspected.put(instanceId, System.nanoTime());
            return Health.starting();
        }
        startingInspected.remove(instanceId);
        return Health.ready(answer.get().orElse(null), oomNotice(c.getId()));
    }

    /**
     * Processes of a running container that its memory limit killed (a kernel, say), read from its cgroup, where
     * the engine keeps it in one of the usual places (cgroup v1 or v2, cgroupfs or systemd driver).
     */
    private static String oomNotice(String containerId) {
        for (String file : List.of("/sys/fs/cgroup/memory/docker/" + containerId + "/memory.oom_control",
                "/sys/fs/cgroup/docker/" + containerId + "/memory.events",
                "/sys/fs/cgroup/system.slice/docker-" + containerId + ".scope/memory.events")) {
            try {
                for (String line : Files.readAllLines(Path.of(file))) {
                    if (line.startsWith("oom_kill ")) {
                        long kills = Long.parseLong(line.substring("oom_kill ".length()).trim());
                        return kills == 0 ? null : kills + " process(es) of this instance were killed for exceeding "
                                + "its flavor's memory limit; the notebook server still runs";
                    }
                }
            } catch (IOException | RuntimeException e) {
                // not this layout
            }
        }
        return null;
    }

    /** Why a container stopped: killed for memory, or its exit status with the last lines it wrote. */
    private String exitReason(String container, InspectContainerResponse.ContainerState s, String token) {
        String tail = logTail(container, token);
        if (Boolean.TRUE.equals(s.getOOMKilled())) {
            return "the notebook server was killed for exceeding its flavor's memory. " + tail;
        }
        String error = s.getError() == null || s.getError().isBlank() ? "" : " (" + s.getError() + ")";
        return "the notebook server exited with status " + s.getExitCodeLong() + error + ". " + tail;
    }

    /** The container's last log lines, with the token blanked out. */
    String logTail(String container, String token) {
        StringBuilder out = new StringBuilder();
        try {
            engine.client().logContainerCmd(container).withStdOut(true).withStdErr(true).withTail(LOG_TAIL_LINES)
                    .exec(new ResultCallback.Adapter<Frame>() {
                        @Override
                        public void onNext(Frame frame) {
                            out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                        }
                    }).awaitCompletion(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            return "Its log could not be read: " + DockerEngine.rootMessage(e);
        }
        String text = out.toString().strip();
        if (text.contains("exec: \"jupyter-server\"") || text.contains("jupyter-server: not found")
                || text.contains("executable file not found") || text.contains("exec jupyter-server failed")) {
            return "The image has no jupyter-server on its PATH (see docs/images.md). Last lines of its log:\n"
                    + text.replace(token, "<token>");
        }
        return "Last lines of its log:\n" + text.replace(token, "<token>");
    }

    @Override
    public void stop(String instanceId, Map<String, String> state) {
        startingInspected.remove(instanceId);
        String container = state.getOrDefault(CONTAINER, engine.nameOf(instanceId));
        try {
            engine.client().stopContainerCmd(container).withTimeout((int) Math.max(1, stopGrace.toSeconds())).exec();
        } catch (NotFoundException e) {
            // gone already
        } catch (com.github.dockerjava.api.exception.NotModifiedException e) {
            // stopped already
        } catch (RuntimeException e) {
            throw engine.failure("cannot stop the container", e);
        }
        removeContainer(instanceId);
        networks.remove(instanceId);
        files.unmount(instanceId);
    }

    /** Removes the instance's container, whatever state it is in; no-op when there is none. */
    private void removeContainer(String instanceId) {
        try {
            engine.client().removeContainerCmd(engine.nameOf(instanceId)).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException e) {
            // none
        } catch (ConflictException e) {
            // being removed already
        } catch (RuntimeException e) {
            throw engine.failure("cannot remove the container", e);
        }
    }

    @Override
    public Set<String> instancesOnHost() {
        Set<String> ids = new TreeSet<>();
        var label = Map.of(DockerEngine.INSTALLATION_LABEL, engine.installation());
        try {
            for (Container c : engine.client().listContainersCmd().withShowAll(true).withLabelFilter(label).exec()) {
                String id = c.getLabels().get(DockerEngine.INSTANCE_LABEL);
                if (id != null) {
                    ids.add(id);
                }
            }
            networks.instancesWithNetworks(ids);
        } catch (RuntimeException e) {
            log.warn("cannot list this installation's containers: {}", DockerEngine.rootMessage(e));
        }
        ids.addAll(files.instances());
        return ids;
    }

    @Override
    public void release(String instanceId) {
        stop(instanceId, Map.of());
        files.delete(instanceId);
    }

    /** Called as the server stops: the shared network goes where no instance is left on it. */
    public void close() {
        networks.removeSharedIfUnused();
    }

    /** The running container of an instance, for sessions inside it. */
    String containerOf(String instanceId) {
        return engine.nameOf(instanceId);
    }
}
