package dev.atelier.core.service;

import dev.atelier.core.CrashPoints;
import dev.atelier.core.model.Cause;
import dev.atelier.core.model.DesiredState;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Progress;
import dev.atelier.core.model.StepStatus;
import dev.atelier.core.port.ChangeHints;
import dev.atelier.core.port.InstanceRuntime;
import dev.atelier.core.port.InstanceRuntime.Health;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import dev.atelier.core.port.InstanceReads;
import dev.atelier.core.port.InstanceStore;
import dev.atelier.core.port.Telemetry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Converges every instance's actual state towards its desired state, level-triggered: each pass reads the
 * instance and the runtime afresh, takes at most one step, writes the status only when it changed
 * (compare-and-set on the version) and says when to look again. Nothing lives only in memory, so a restart
 * at any point resumes from what is stored: a server that survived is found again by {@code poll}.
 */
public final class Reconciler {
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
    static final String LAUNCHED_AT = "launched_at";
    /** In a runtime state: which token the server was launched with (a digest), so that a later run's is told apart. */
    static final String LAUNCH_TOKEN = "launch_token";


    private final InstanceStore store;
    private final InstanceReads reads;
    /** Instances a write of this reconciler lost on: the next pass reads them from the store. */
    private final java.util.Set<String> lostWrite = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final InstanceRuntime runtime;
    private final Catalog catalog;
    private final Seating seating;
    private final ImageService images;
    private final MountSteps mounts;
    private final Clock clock;
    private final Settings settings;
    private final WorkQueue queue = new WorkQueue();
    private final ReplicaClaims claims;
    private final AtomicReference<Thread> heartbeat = new AtomicReference<>();
    private volatile boolean stopping;
    private volatile Telemetry telemetry = Telemetry.NONE;
    private final RunningWatch running;
    private final List<Thread> workers = new ArrayList<>();
    /**
     * How often a starting server is looked at while the runtime promises to report its next change: a safety net
     * for a report that never comes, not the way readiness is found.
     */
    static final Duration UNCHANGED_POLL = Duration.ofMillis(250);

    /**
     * How the reconciler paces itself.
     * @param startTimeout how long a server may take to become ready before its start counts as failed
     * @param readyPoll how often a starting server that listens is looked at
     * @param healthPoll how often a running server is looked at
     */
    public record Settings(Duration startTimeout, Duration readyPoll, Duration healthPoll) {
        public Settings {
            for (Duration d : List.of(startTimeout, readyPoll, healthPoll)) {
                if (d == null || d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("reconciler durations must be positive: " + d);
                }
            }
        }
    }

    /**
     * {@code reads}: where each pass reads its instance from (memory, in the server). Every write is still a
     * compare-and-set on the version read; after one loses, the next pass over that instance reads the store.
     * {@code activity}: where the gateways record users' traffic, which counts against idleness as much as the
     * server's own.
     */
    public Reconciler(InstanceStore store, InstanceReads reads, InstanceRuntime runtime, Catalog catalog, Pools pools,
                      ImageService images, dev.atelier.core.port.MountStore mounts, Activity activity, Clock clock,
                      Settings settings) {
        this.store = store;
        this.reads = reads;
        this.runtime = runtime;
        this.catalog = catalog;
        this.seating = new Seating(pools, catalog, queue::add);
        this.images = images;
        this.mounts = new MountSteps(mounts, runtime, clock);
        this.clock = clock;
        this.settings = settings;
        this.claims = new ReplicaClaims(store);
        this.running = new RunningWatch(runtime, seating, this.mounts, activity, clock, settings.healthPoll(),
                new RunningWatch.Writes() {
                    @Override
                    public Optional<Instance> write(Instance current, Instance next, Cause cause) {
                        return Reconciler.this.write(current, next, cause);
                    }

                    @Override
                    public Optional<Duration> fail(Instance inst, InstanceStatus failed, String reason) {
                        return Reconciler.this.fail(inst, failed, reason);
                    }
                });
    }

    public void start(int workerCount) {
        runtime.capability(ChangeHints.class).ifPresent(hints -> hints.onChange(this::enqueue));
        removeOrphans();
        for (int i = 0; i < workerCount; i++) {
            workers.add(Thread.ofVirtual().name("reconciler-" + i).start(this::work));
        }
        heartbeat.set(Thread.ofVirtual().name("reconciler-claims").start(this::renewClaims));
    }

    /**
     * Every {@link ReplicaClaims#RENEWAL}: renew this replica's claims, take over lapsed ones (a replica that died)
     * and look at every instance it holds (level-triggered: changes made through another replica are seen here).
     */
    private void renewClaims() {
        while (!stopping) {
            try {
                claims.renewAll().forEach(queue::add);
            } catch (RuntimeException e) {
                log.warn("cannot renew claims (the database may be unavailable): {}", e.getMessage());
            }
            try {
                Thread.sleep(ReplicaClaims.RENEWAL);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * What the runtime finds of instances the store no longer knows (a crash between removing the files and the
     * record, or a record removed by hand) is removed: processes, mounts, files.
     */
    private void removeOrphans() {
        for (String id : runtime.instancesOnHost()) {
            if (store.get(id).isEmpty()) {
                log.warn("instance {} has no record: removing what is left of it on this host", id);
                try {
                    runtime.release(id);
                } catch (RuntimeException e) {
                    log.error("could not remove orphaned instance {}", id, e);
                }
            }
        }
    }

    /**
     * Stops taking work and lets passes in progress finish (interrupting them would turn a launch cut short into
     * a failed instance); instances themselves keep running.
     */
    public void stop() {
        stopping = true;
        Thread beat = heartbeat.get();
        if (beat != null) {
            beat.interrupt(); // only sleeps between renewals
        }
        queue.shutdown();
        for (Thread t : workers) {
            try {
                t.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        try {
            claims.releaseAll(); // a restart, or another replica, carries on at once
        } catch (RuntimeException e) {
            log.warn("cannot release claims; they lapse within {} s: {}", ReplicaClaims.TTL.toSeconds(),
                    e.getMessage());
        }
    }

    /** Stops running instances whose monthly quotas run out, after a warning (none until this is called). */
    public void limitedBy(Quotas quotas) {
        running.limitedBy(quotas::judge);
    }

    /** Tells {@code t} how long lifecycle work and passes take. */
    public void measuredBy(Telemetry t) {
        this.telemetry = t;
    }

    /** How many instances are due a pass and wait for a worker: steadily above zero, the workers do not keep up. */
    public int queueDepth() {
        return queue.due();
    }

    /** Asks for the instance to be looked at soon. */
    public void enqueue(String id) {
        queue.add(id);
    }

    private void work() {
        while (true) {
            String id;
            try {
                id = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (id == null) {
                return;
            }
            long began = System.nanoTime();
            org.slf4j.MDC.put("instance_id", id); // on every line this pass logs, in the JSON log format
            try {
                reconcile(id).ifPresent(after -> queue.addAfter(id, after.toMillis()));
                telemetry.reconcilePass(System.nanoTime() - began, false);
            } catch (RuntimeException e) {
                telemetry.reconcilePass(System.nanoTime() - began, true);
                log.error("reconciling instance {} failed; retrying", id, e);
                queue.addAfter(id, 1000);
            } finally {
                org.slf4j.MDC.remove("instance_id");
                org.slf4j.MDC.remove("request_id");
                queue.done(id);
            }
        }
    }

    /** One pass over one instance. Returns when to look at it again, if at all. */
    Optional<Duration> reconcile(String id) {
        if (!claims.hold(id)) {
            lostWrite.remove(id);
            return Optional.empty(); // another replica drives it; its renewals look at it
        }
        // a pass every 25 ms while an instance starts: from memory, unless a write of ours lost to another writer
        Optional<Instance> found = lostWrite.remove(id) ? store.get(id) : reads.instance(id);
        if (found.isEmpty()) {
            claims.forget(id);
            return Optional.empty();
        }
        Instance inst = found.get();
        if (inst.requestId() != null) { // the request that asked for what this pass converges to
            org.slf4j.MDC.put("request_id", inst.requestId());
        }
        if (inst.desired() == DesiredState.DELETED) {
            return delete(inst);
        }
        if (inst.desired() == DesiredState.RUNNING) {
            return switch (inst.status()) {
                case INIT, CREATING, STARTING -> bringUp(inst);
                case RUNNING -> running.look(inst);
                case SNAPSHOTTING -> snapshot(inst);
                default -> {
                    if (!inst.runtimeState().isEmpty()) { // failed with a server (or what is left of it) still there
                        runtime.stop(inst.id(), inst.runtimeState());
                        write(inst, inst.withRuntime(Map.of(), inst.url()));
                        mounts.remountOnNextRun(inst);
                    }
                    mounts.reconcile(inst, false); // failed: detaches are carried out, mounts wait for a run
                    yield Optional.empty();
                }
            };
        }
        if (inst.status() == InstanceStatus.STOPPED) {
            mounts.reconcile(inst, false); // a detach asked for while stopped; mounts wait for the next run
            return Optional.empty();
        }
        return inst.status() == InstanceStatus.STOPPING ? stopNow(inst) : Optional.empty();
    }

    private Optional<Duration> stopNow(Instance inst) {
        CrashPoints.reach("stop.begin");
        if (!inst.runtimeState().isEmpty()) {
            long began = clock.millis();
            runtime.stop(inst.id(), inst.runtimeState());
            seating.stopped(clock.millis() - began);
            telemetry.lifecycle(Telemetry.Operation.STOP, inst.flavorId(), clock.millis() - began);
        }
        CrashPoints.reach("stop.stopped");
        write(inst, inst.withStatus(InstanceStatus.STOPPED, inst.progress(), inst.failReason())
                .withRuntime(Map.of(), inst.url()));
        mounts.remountOnNextRun(inst);
        log.info("instance {} stopped", inst.id());
        return Optional.empty();
    }

    private Optional<Duration> snapshot(Instance inst) {
        images.pendingSave(inst.id()).ifPresent(image -> {
            log.info("instance {}: saving image {}", inst.id(), image.id());
            images.completeSave(image);
        });
        write(inst, inst.withStatus(InstanceStatus.RUNNING, inst.progress(), null));
        return Optional.of(Duration.ZERO);
    }

    private Optional<Duration> delete(Instance inst) {
        images.pendingSave(inst.id()).ifPresent(image -> images.abandonSave(image, "the instance was deleted"));
        if (!inst.runtimeState().isEmpty()) {
            runtime.stop(inst.id(), inst.runtimeState());
        }
        CrashPoints.reach("delete.stopped");
        runtime.release(inst.id());
        CrashPoints.reach("delete.released");
        if (store.delete(inst.id(), inst.version(), clock.millis())) { // with its tags, SSH endpoint, storage and pool place
            log.info("instance {} deleted", inst.id());
            seating.gaveBack(inst);
            return Optional.empty();
        }
        lostWrite.add(inst.id());
        return Optional.of(Duration.ZERO); // changed meanwhile: look again, at the store
    }

    private Optional<Duration> bringUp(Instance inst) {
        InstanceStatus failed = inst.status() == InstanceStatus.STARTING
                ? InstanceStatus.START_FAILED : InstanceStatus.CREATE_FAILED;
        if (inst.runtimeState().isEmpty()) {
            Seating.Turn turn = seating.take(inst);
            if (turn.failure() != null) {
                return fail(inst, failed, turn.failure());
            }
            if (turn.waitedMs() != null) {
                telemetry.queueWait(inst.poolId() == null ? dev.atelier.core.model.Pool.DEFAULT_ID : inst.poolId(),
                        turn.waitedMs());
            }
            return turn.lookAgain() != null ? Optional.of(turn.lookAgain()) : launch(inst, failed);
        }
        seating.keep(inst);
        String launchedWith = inst.runtimeState().get(LAUNCH_TOKEN);
        if (launchedWith != null && !launchedWith.equals(tokenDigest(inst.token()))) {
            // what an earlier run left (a start came while its failure was being cleaned up): away with it first
            runtime.stop(inst.id(), inst.runtimeState());
            write(inst, inst.withRuntime(Map.of(), inst.url()));
            return Optional.of(Duration.ZERO);
        }
        Health health = runtime.poll(inst.id(), inst.serverToken(), inst.runtimeState());
        switch (health.phase()) {
            case READY -> {
                Instance at = health.url() == null || health.url().equals(inst.url()) ? inst
                        : inst.withRuntime(inst.runtimeState(), health.url());
                Instance running = at.withStatus(InstanceStatus.RUNNING,
                        at.progress().with(4, StepStatus.COMPLETED), null)
                        .withLease(inst.lease().restartedAt(clock.millis()));
                if (write(inst, running).isPresent()) {
                    long launchedAt = Long.parseLong(inst.runtimeState().getOrDefault(LAUNCHED_AT, "0"));
                    seating.started(clock.millis() - launchedAt);
                    // asked for: at create, or when a start restarted the lease's countdown
                    boolean created = inst.status() == InstanceStatus.CREATING;
                    telemetry.lifecycle(created ? Telemetry.Operation.CREATE : Telemetry.Operation.START,
                            inst.flavorId(), clock.millis() - (created ? inst.createAt() : inst.lease().updateAt()));
                }
                log.info("instance {} is running at {}", inst.id(), running.url());
                return Optional.of(settings.healthPoll());
            }
            case STARTING, UNREACHABLE -> {
                long launchedAt = Long.parseLong(inst.runtimeState().getOrDefault(LAUNCHED_AT, "0"));
                if (clock.millis() - launchedAt < settings.startTimeout().toMillis()) {
                    if (health.phase() == InstanceRuntime.Phase.STARTING && reportStart(inst, health)) {
                        return Optional.of(settings.readyPoll());
                    }
                    // the runtime says when the server may have changed: polling it often would only cost CPU,
                    // which ten servers starting at once on two cores need more
                    return Optional.of(health.untilChange() && settings.readyPoll().compareTo(UNCHANGED_POLL) < 0
                            ? UNCHANGED_POLL : settings.readyPoll());
                }
                return fail(inst, failed, health.phase() == InstanceRuntime.Phase.UNREACHABLE ? health.reason()
                        : "the notebook server did not become ready within " + settings.startTimeout().toSeconds()
                        + " s" + (health.notice() == null ? "" : ": " + health.notice()));
            }
            default -> {
                return fail(inst, failed, health.reason());
            }
        }
    }

    /** A short digest of a token: enough to tell two apart, nothing to sign in with. */
    static String tokenDigest(String token) {
        return dev.atelier.core.auth.SdkHmacSha256.sha256Hex(token.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .substring(0, 16);
    }

    /**
     * Writes the step a start is at and what it waits for, where the runtime learns them by polling (a cluster
     * scheduling a pod); only a change is written. Whether something was written.
     */
    private boolean reportStart(Instance inst, Health health) {
        Progress progress = health.step() > 0 ? inst.progress().at(health.step()) : inst.progress();
        String notice = health.step() > 0 || health.notice() != null ? health.notice() : inst.failReason();
        if (progress.equals(inst.progress()) && java.util.Objects.equals(notice, inst.failReason())) {
            return false;
        }
        write(inst, inst.withStatus(inst.status(), progress, notice));
        return true;
    }

    private Optional<Duration> launch(Instance inst, InstanceStatus failed) {
        AtomicReference<Instance> latest = new AtomicReference<>(inst);
        try {
            var spec = new InstanceRuntime.LaunchSpec(inst.id(), inst.token(),
                    images.find(inst.imageId()).orElseThrow(() -> new RuntimeFailure("image " + inst.imageId()
                            + " no longer exists")),
                    catalog.flavor(inst.flavorId()).orElseThrow(() -> new RuntimeFailure("flavor "
                            + inst.flavorId() + " is no longer in the catalogue")),
                    inst.volume(), inst.projectId(), inst.ownerId(), seating.placementOf(inst), inst.requestId());
            var launch = runtime.launch(spec, (step, status) -> {
                Instance cur = latest.get();
                Instance next = cur.withProgress(cur.progress().with(step, status));
                if (status != StepStatus.PROCESSING) {
                    latest.set(next); // written with the next step under way, or with the launch's result
                    return;
                }
                // a step under way is written at once: it may take a while, and someone may be watching
                latest.set(write(cur, next).orElseThrow(() -> new ConcurrentChange(inst.id())));
            });
            CrashPoints.reach("launch.spawned"); // a server runs that no record names yet
            Map<String, String> state = new java.util.HashMap<>(launch.state());
            state.put(LAUNCHED_AT, Long.toString(clock.millis()));
            state.put(LAUNCH_TOKEN, tokenDigest(inst.token()));
            Instance cur = latest.get();
            // a runtime that learns the steps only by polling (a cluster's) reported none: the first is under way
            Instance launched = cur.withRuntime(state, launch.url())
                    .withProgress(cur.progress().at(cur.progress().step(3) == StepStatus.COMPLETED ? 4 : 1));
            if (write(cur, launched).isEmpty()) {
                // someone changed the instance while we launched; stop what we started and look again
                runtime.stop(inst.id(), state);
                return Optional.of(Duration.ZERO);
            }
            CrashPoints.reach("launch.recorded");
            return Optional.of(settings.readyPoll());
        } catch (ConcurrentChange e) {
            runtime.stop(inst.id(), Map.of()); // undo what the launch had prepared
            return Optional.of(Duration.ZERO);
        } catch (InstanceRuntime.NotYet e) {
            log.debug("instance {}: launch deferred: {}", inst.id(), e.getMessage());
            return Optional.of(e.retryAfter());
        } catch (RuntimeFailure e) {
            log.warn("instance {} failed to launch: {}", inst.id(), e.getMessage());
            undoLaunch(inst.id());
            Instance cur = latest.get();
            write(cur, cur.withStatus(failed, cur.progress().failCurrent(), e.getMessage()), Cause.HEALTH_CHECK);
            return Optional.empty();
        }
    }

    /**
     * Removes what a failed launch left. Where even that fails (its engine does not answer), the failure is still
     * recorded: the next launch and the release of a deleted instance remove what is left.
     */
    private void undoLaunch(String id) {
        try {
            runtime.stop(id, Map.of());
        } catch (RuntimeException e) {
            log.warn("instance {}: cannot remove what its failed launch left yet: {}", id, e.getMessage());
        }
    }

    /** Reports the failure at once; the next pass stops what is left, as for any failed instance. */
    private Optional<Duration> fail(Instance inst, InstanceStatus failed, String reason) {
        log.warn("instance {} failed: {}", inst.id(), reason);
        write(inst, inst.withStatus(failed, inst.progress().failCurrent(), reason), Cause.HEALTH_CHECK);
        return Optional.of(Duration.ZERO);
    }

    /** Writes only a real change, as carrying out what was asked; empty when another writer came first. */
    private Optional<Instance> write(Instance current, Instance next) {
        return write(current, next, Cause.SYSTEM);
    }

    /** Writes only a real change, with the events it makes; empty when another writer changed the instance first. */
    private Optional<Instance> write(Instance current, Instance next, Cause cause) {
        if (!next.differsFrom(current)) {
            return Optional.of(current);
        }
        long now = clock.millis();
        Optional<Instance> written = store.update(next, now, History.between(current, next, cause, now));
        if (written.isEmpty()) {
            lostWrite.add(current.id());
            queue.add(current.id());
        } else if (current.status().holdsRoom() && !next.status().holdsRoom()) {
            seating.gaveBack(current); // the write gave its place in its pool back
        }
        return written;
    }

    private static final class ConcurrentChange extends RuntimeException {
        ConcurrentChange(String id) {
            super("instance " + id + " changed concurrently", null, false, false);
        }
    }
}
