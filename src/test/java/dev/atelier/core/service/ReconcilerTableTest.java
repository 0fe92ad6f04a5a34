package dev.atelier.core.service;

import dev.atelier.core.model.Feature;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.port.StorageAttachment;

import dev.atelier.core.model.DesiredState;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Lease;
import dev.atelier.core.model.LeaseType;
import dev.atelier.core.model.Progress;
import dev.atelier.core.model.StepStatus;
import dev.atelier.core.model.Volume;
import dev.atelier.core.port.InstanceRuntime.Health;
import dev.atelier.store.sql.Database;
import dev.atelier.store.sql.SqlImageStore;
import dev.atelier.store.sql.SqlInstanceReads;
import dev.atelier.store.sql.SqlInstanceStore;
import dev.atelier.store.sql.SqlMountStore;
import dev.atelier.support.InMemoryRuntime;
import dev.atelier.support.MovableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reconciler's table (docs/architecture.md), row by row, one pass at a time: a real store (SQLite) and an
 * in-memory runtime whose servers the test makes ready, fail or vanish. No threads, no waiting.
 */
class ReconcilerTableTest {
    @TempDir
    Path dir;
    Database db;
    SqlInstanceStore store;
    final InMemoryRuntime runtime = new InMemoryRuntime();
    final MovableClock clock = new MovableClock();
    Reconciler reconciler;
    ImageService images;

    @BeforeEach
    void open() {
        db = Database.open("jdbc:sqlite:" + dir.resolve("t.db"));
        store = new SqlInstanceStore(db);
        images = new ImageService(Catalog.builtInImages("/usr/bin/jupyter-server"), new SqlImageStore(db), null,
                clock);
        reconciler = reconciler(dev.atelier.core.model.Room.UNLIMITED);
    }

    /** A reconciler whose public pool holds {@code room}. */
    private Reconciler reconciler(dev.atelier.core.model.Room room) {
        return new Reconciler(store, new SqlInstanceReads(db, store), runtime,
                new Catalog(Catalog.builtInFlavors()), pools(room), images, new SqlMountStore(db), new Activity(clock),
                clock, new Reconciler.Settings(Duration.ofSeconds(60), Duration.ofMillis(25), Duration.ofSeconds(2)));
    }

    /** No limit but the per-user count: the public pool unlimited, the default workspace, no quotas. */
    private InstanceService.Limits limits() {
        return new InstanceService.Limits(pools(dev.atelier.core.model.Room.UNLIMITED),
                new WorkspaceService(new dev.atelier.store.sql.SqlWorkspaceStore(db), store, clock),
                new Quotas(new dev.atelier.store.sql.SqlQuotaStore(db), store, new dev.atelier.store.sql.SqlUsageStore(db),
                        new Catalog(Catalog.builtInFlavors()),
                        clock));
    }

    private Pools pools(dev.atelier.core.model.Room room) {
        return new Pools(List.of(new dev.atelier.core.model.Pool(dev.atelier.core.model.Pool.DEFAULT_ID, "Public",
                dev.atelier.core.model.Pool.Type.MANAGED, List.of(), java.util.Set.of(), room, 0)),
                new dev.atelier.store.sql.SqlPoolStore(db), new SqlInstanceReads(db, store), clock, 3);
    }

    @AfterEach
    void close() {
        db.close();
    }

    private Instance created(LeaseType leaseType, long leaseMs) {
        long now = clock.millis();
        Instance i = new Instance(new Instance.Metadata(UUID.randomUUID().toString(), "p1", "u1", "0",
                Feature.NOTEBOOK, now, now, 1),
                new Instance.Spec("nb", "", "modelarts.vm.cpu.2u", Catalog.DEBIAN_JUPYTER_IMAGE_ID,
                        new Volume("EVS", "MANAGED", 5), Lease.requested(now, leaseMs, leaseType),
                        DesiredState.RUNNING),
                new Instance.Observed(InstanceStatus.CREATING, Progress.waiting(), null, "tok", null, Map.of()));
        store.insert(i);
        return i;
    }

    private Instance now(String id) {
        return store.get(id).orElseThrow();
    }

    private Instance running(LeaseType leaseType, long leaseMs) {
        Instance i = created(leaseType, leaseMs);
        reconciler.reconcile(i.id());
        runtime.ready(i.id());
        reconciler.reconcile(i.id());
        assertThat(now(i.id()).status()).isEqualTo(InstanceStatus.RUNNING);
        return now(i.id());
    }

    @Test
    void attachingStorageIsRefusedWithADocumentedErrorWhereTheRuntimeCannotAttachStorage() {
        Instance i = running(LeaseType.TIMING, 3_600_000L);
        var instances = new InstanceService(store, new SqlInstanceReads(db, store), new Catalog(Catalog.builtInFlavors()),
                limits(), images, clock, 100);
        var lacking = new StorageService(instances, new SqlMountStore(db),
                new InMemoryRuntime().without(StorageAttachment.class), clock);
        assertThatThrownBy(() -> lacking.attach("p1", i.id(), "OBS", "/data/in/", "obs://bucket/dir/"))
                .isInstanceOfSatisfying(AtelierException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.NOT_SUPPORTED_BY_RUNTIME))
                .hasMessageContaining("cannot attach storage");

        var able = new StorageService(instances, new SqlMountStore(db), runtime, clock);
        assertThat(able.attach("p1", i.id(), "OBS", "/data/in/", "obs://bucket/dir/").mountPath()).isEqualTo("/data/in/");
        reconciler.reconcile(i.id());
        assertThat(runtime.servers.get(i.id()).mounts).containsExactly("/data/in/");
    }

    @Test
    void aCreateIsLaunchedAndRecordedThenRunningOnceItsServerAnswers() {
        Instance i = created(LeaseType.TIMING, 3_600_000L);
        assertThat(reconciler.reconcile(i.id())).contains(Duration.ofMillis(25));
        Instance launched = now(i.id());
        assertThat(launched.status()).isEqualTo(InstanceStatus.CREATING);
        assertThat(launched.runtimeState()).containsEntry("server", i.id()).containsKey(Reconciler.LAUNCHED_AT);
        assertThat(launched.progress().with(4, StepStatus.PROCESSING)).isEqualTo(launched.progress());

        assertThat(reconciler.reconcile(i.id())).as("not ready yet: polled again soon").contains(Duration.ofMillis(25));
        runtime.ready(i.id());
        assertThat(reconciler.reconcile(i.id())).contains(Duration.ofSeconds(2));
        Instance up = now(i.id());
        assertThat(up.status()).isEqualTo(InstanceStatus.RUNNING);
        assertThat(up.failReason()).isNull();
        assertThat(runtime.calls).containsExactly("launch " + i.id());
    }

    @Test
    void aLaunchTheRuntimeRefusesIsCreateFailedInTheRuntimesWords() {
        runtime.launchFailure = "the image's notebook server is not installed";
        Instance i = created(LeaseType.TIMING, 3_600_000L);
        reconciler.reconcile(i.id());
        assertThat(now(i.id()).status()).isEqualTo(InstanceStatus.CREATE_FAILED);
        assertThat(now(i.id()).failReason()).isEqualTo("the image's notebook server is not installed");
    }

    @Test
    void aServerThatIsNotReadyInTimeFailsAndIsThenStopped() {
        Instance i = created(LeaseType.TIMING, 3_600_000L);
        reconciler.reconcile(i.id());
        clock.advance(Duration.ofSeconds(61));
        reconciler.reconcile(i.id());
        assertThat(now(i.id()).status()).isEqualTo(InstanceStatus.CREATE_FAILED);
        assertThat(now(i.id()).failReason()).contains("did not become ready within 60 s");
        reconciler.reconcile(i.id()); // the next pass stops what is left
        assertThat(runtime.calls).contains("stop " + i.id());
        assertThat(now(i.id()).runtimeState()).isEmpty();
    }

    @Test
    void aStartThatComesBeforeAFailedServerIsClearedAwayStopsThatServerAndLaunchesAFreshOne() {
        Instance i = running(LeaseType.TIMING, 3_600_000L);
        runtime.servers.get(i.id()).health = Health.failed("evicted");
        reconciler.reconcile(i.id());
        Instance failed = now(i.id());
        assertThat(failed.status()).isEqualTo(InstanceStatus.ERROR);
        assertThat(failed.runtimeState()).as("not cleared away yet").isNotEmpty();
        // the user's start is recorded before the reconciler's next pass clears the failed server away
        var instances = new InstanceService(store, new SqlInstanceReads(db, store),
                new Catalog(Catalog.builtInFlavors()), limits(), images, clock, 100);
        instances.start(new dev.atelier.core.auth.Caller("u1", "alice", "token", false, java.util.Map.of("p1", "member"), null),
                "p1", i.id(), null, null);

        reconciler.reconcile(i.id());
        assertThat(runtime.calls).as("the earlier run's server is stopped, not polled as the new one")
                .endsWith("stop " + i.id());
        reconciler.reconcile(i.id());
        assertThat(runtime.calls).endsWith("launch " + i.id());
        runtime.ready(i.id());
        reconciler.reconcile(i.id());
        assertThat(now(i.id()).status()).isEqualTo(InstanceStatus.RUNNING);
    }

    @Test
    void aStartsStepAndWhatItWaitsForAreWrittenAsTheRuntimeLearnsThemAndItsAddressOnceReady() {
        Instance i = created(LeaseType.TIMING, 3_600_000L);
        reconciler.reconcile(i.id());
        runtime.servers.get(i.id()).health = Health.startingAt(2, "waiting for a node: 1 Insufficient nvidia.com/gpu");
        reconciler.reconcile(i.id());
        Instance waiting = now(i.id());
        assertThat(waiting.progress()).isEqualTo(Progress.waiting().at(2));
        assertThat(waiting.failReason()).isEqualTo("waiting for a node: 1 Insufficient nvidia.com/gpu");
        long version = waiting.version();
        reconciler.reconcile(i.id());
        assertThat(now(i.id()).version()).as("nothing new: nothing written").isEqualTo(version);

        runtime.servers.get(i.id()).health = Health.startingAt(4, null);
        reconciler.reconcile(i.id());
        assertThat(now(i.id()).failReason()).isNull();
        runtime.servers.get(i.id()).health = Health.readyAt("http://10.0.0.7:8888/notebook/x/tree", false, null);
        reconciler.reconcile(i.id());
        assertThat(now(i.id()).status()).isEqualTo(InstanceStatus.RUNNING);
        assertThat(now(i.id()).url()).isEqualTo("http://10.0.0.7:8888/notebook/x/tree");
    }

    @Test
    void aRunningServerThatExitsIsAnErrorWithTheReason() {
        Instance i = running(LeaseType.TIMING, 3_600_000L);
        runtime.servers.get(i.id()).health = Health.failed("the notebook server exited. Killed");
        reconciler.reconcile(i.id());
        assertThat(now(i.id()).status()).isEqualTo(InstanceStatus.ERROR);
        assertThat(now(i.id()).failReason()).contains("Killed");
    }

    @Test
    void aRunningServerThatStopsAnsweringIsGivenThreeSecondsThenAnError() {
        Instance i = running(LeaseType.TIMING, 3_600_000L);
        runtime.servers.get(i.id()).health = Health.starting(); // no answer
        reconciler.reconcile(i.id());
        assertThat(now(i.id()).status()).isEqualTo(InstanceStatus.RUNNING);
        clock.advance(Duration.ofSeconds(4));
        reconciler.reconcile(i.id());
        assertThat(now(i.id()).status()).isEqualTo(InstanceStatus.ERROR);
        assertThat(now(i.id()).failReason()).contains("stopped answering");
    }

    @Test
    void aTimingLeaseThatRunsOutStopsTheInstanceKeepingWhy() {
        Instance i = running(LeaseType.TIMING, 3_600_000L);
        clock.advance(Duration.ofMinutes(61));
        reconciler.reconcile(i.id());
        assertThat(now(i.id()).desired()).isEqualTo(DesiredState.STOPPED);
        assertThat(now(i.id()).status()).isEqualTo(InstanceStatus.STOPPING);
        assertThat(now(i.id()).failReason()).startsWith("auto-stopped: its lease ran out");
        reconciler.reconcile(i.id());
        assertThat(now(i.id()).status()).isEqualTo(InstanceStatus.STOPPED);
        assertThat(runtime.servers).doesNotContainKey(i.id());
    }

    @Test
    void anIdleLeaseStopsAnInstanceThatNobodyUsedAndNotOneThatWasUsed() {
        Instance used = running(LeaseType.IDLE, 3_600_000L);
        Instance idle = running(LeaseType.IDLE, 3_600_000L);
        clock.advance(Duration.ofMinutes(50));
        runtime.busy(used.id(), true); // a kernel computing ten minutes ago, by the end
        reconciler.reconcile(used.id());
        runtime.busy(used.id(), false);
        clock.advance(Duration.ofMinutes(11));
        reconciler.reconcile(used.id());
        reconciler.reconcile(idle.id());
        assertThat(now(used.id()).status()).isEqualTo(InstanceStatus.RUNNING);
        assertThat(now(idle.id()).status()).isEqualTo(InstanceStatus.STOPPING);
        assertThat(now(idle.id()).failReason()).startsWith("auto-stopped: idle since");
    }

    @Test
    void aStopAskedForIsCarriedOutAndTheVolumeKept() {
        Instance i = running(LeaseType.TIMING, 3_600_000L);
        store.update(i.withDesired(DesiredState.STOPPED, null, InstanceStatus.STOPPING), clock.millis());
        reconciler.reconcile(i.id());
        assertThat(now(i.id()).status()).isEqualTo(InstanceStatus.STOPPED);
        assertThat(runtime.calls).contains("stop " + i.id()).doesNotContain("release " + i.id());
    }

    @Test
    void aDeleteStopsReleasesAndRemovesTheRecord() {
        Instance i = running(LeaseType.TIMING, 3_600_000L);
        store.update(i.withDesired(DesiredState.DELETED, null, InstanceStatus.DELETING), clock.millis());
        assertThat(reconciler.reconcile(i.id())).isEmpty();
        assertThat(store.get(i.id())).isEmpty();
        assertThat(runtime.calls).containsSubsequence("stop " + i.id(), "release " + i.id());
    }

    @Test
    void aPassOverAHealthyInstanceWritesNothing() {
        Instance i = running(LeaseType.TIMING, 3_600_000L);
        long version = now(i.id()).version();
        for (int pass = 0; pass < 5; pass++) {
            reconciler.reconcile(i.id());
        }
        assertThat(now(i.id()).version()).isEqualTo(version);
    }

    @Test
    void anInstanceThatDoesNotFitWaitsWithoutAServerAndIsLaunchedOnceTheSeatAheadIsGivenBack() {
        reconciler = reconciler(new dev.atelier.core.model.Room(1, -1, -1, -1));
        Instance first = running(LeaseType.TIMING, 3_600_000L);
        Instance second = created(LeaseType.TIMING, 3_600_000L);
        assertThat(reconciler.reconcile(second.id())).contains(Seating.HEAD_POLL);
        assertThat(runtime.servers).doesNotContainKey(second.id());
        assertThat(now(second.id()).version()).as("waiting writes nothing").isEqualTo(second.version());

        store.update(now(first.id()).withDesired(DesiredState.STOPPED, null, InstanceStatus.STOPPING), clock.millis());
        reconciler.reconcile(first.id());
        assertThat(now(first.id()).status()).isEqualTo(InstanceStatus.STOPPED);
        reconciler.reconcile(second.id());
        assertThat(runtime.servers).containsKey(second.id());
    }

    @Test
    void aServerFoundRunningWithoutASeatTakesOneWhateverTheRoomSoThatNothingIsOverbooked() {
        Instance first = running(LeaseType.TIMING, 3_600_000L);
        db.jdbi().useHandle(h -> h.execute("DELETE FROM pool_tickets")); // as before pools were kept
        reconciler.stop(); // a restart: its claims are given up
        reconciler = reconciler(new dev.atelier.core.model.Room(1, -1, -1, -1));
        reconciler.reconcile(first.id());
        Instance second = created(LeaseType.TIMING, 3_600_000L);
        assertThat(reconciler.reconcile(second.id())).contains(Seating.HEAD_POLL);
        assertThat(runtime.servers).doesNotContainKey(second.id());
    }
}
