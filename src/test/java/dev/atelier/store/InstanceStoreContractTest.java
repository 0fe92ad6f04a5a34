package dev.atelier.store;

import dev.atelier.core.model.Feature;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.atelier.core.model.DesiredState;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceEvent;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Lease;
import dev.atelier.core.model.LeaseType;
import dev.atelier.core.model.Mount;
import dev.atelier.core.model.MountStatus;
import dev.atelier.core.model.Progress;
import dev.atelier.core.model.StepStatus;
import dev.atelier.core.model.Volume;
import dev.atelier.core.port.InstanceReads;
import dev.atelier.core.port.InstanceStore;
import dev.atelier.core.port.KeyPairStore;
import dev.atelier.core.port.InstanceStore.InstanceQuery;
import dev.atelier.store.sql.Database;
import dev.atelier.core.port.IdentityStore;
import dev.atelier.store.sql.SqlIdentityStore;
import dev.atelier.store.sql.CachedInstanceReads;
import dev.atelier.store.sql.SqlInstanceReads;
import dev.atelier.store.sql.SqlInstanceStore;
import dev.atelier.store.sql.SqlKeyPairStore;
import dev.atelier.store.sql.SqlMountStore;
import dev.atelier.support.Postgres;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What every store must do, run against SQLite and PostgreSQL. */
abstract class InstanceStoreContractTest {
    @TempDir
    Path dir;
    String url;
    Database db;
    InstanceStore store;

    abstract String databaseUrl(Path dir);

    @BeforeEach
    void open() {
        url = databaseUrl(dir);
        db = Database.open(url);
        store = new SqlInstanceStore(db);
    }

    @AfterEach
    void close() {
        db.close();
        if (url.contains("currentSchema=")) {
            Postgres.dropSchemaOf(url);
        }
    }

    static Instance instance(String project, String name, long createdAt) {
        return new Instance(new Instance.Metadata(UUID.randomUUID().toString(), project, "owner-1", "0",
                Feature.NOTEBOOK, createdAt, createdAt, 1),
                new Instance.Spec(name, "d", "modelarts.vm.cpu.2u", "img", new Volume("EVS", "MANAGED", 5),
                        Lease.requested(createdAt, null, LeaseType.TIMING), DesiredState.RUNNING),
                new Instance.Observed(InstanceStatus.CREATING, Progress.waiting(), null, "tok", null, Map.of()));
    }

    @Test
    void anInsertedInstanceReadsBackEqual() {
        Instance i = instance("p1", "alpha", 1000).withRuntime(Map.of("pid", "42", "port", "8888"), "http://x/tree")
                .withStatus(InstanceStatus.CREATE_FAILED, Progress.waiting().with(1, StepStatus.COMPLETED)
                        .with(2, StepStatus.FAILED), "no port");
        store.insert(i);
        assertThat(store.get(i.id())).contains(i);
        assertThat(store.get("missing")).isEmpty();
    }

    @Test
    void theRequestThatAskedForTheDesiredStateIsKeptWithItAndReplacedByTheNextOne() {
        Instance i = instance("p1", "alpha", 1000);
        Instance created = new Instance(i.metadata(), i.spec().withDesired(DesiredState.RUNNING, "req-create"),
                i.observed());
        store.insert(created);
        assertThat(store.get(i.id()).orElseThrow().requestId()).isEqualTo("req-create");
        Instance stopped = store.update(store.get(i.id()).orElseThrow()
                .withDesired(DesiredState.STOPPED, "req-stop", InstanceStatus.STOPPING), 2000).orElseThrow();
        assertThat(store.get(i.id())).contains(stopped);
        assertThat(stopped.requestId()).isEqualTo("req-stop");
        Instance byLease = store.update(stopped.withDesired(DesiredState.STOPPED, null, InstanceStatus.STOPPED), 3000)
                .orElseThrow();
        assertThat(store.get(i.id()).orElseThrow().requestId()).as("the service's own change names no request")
                .isNull();
        assertThat(store.get(i.id())).contains(byLease);
    }

    @Test
    void anUpdateBasedOnAStaleVersionLosesAndChangesNothing() {
        Instance i = instance("p1", "alpha", 1000);
        store.insert(i);
        Instance first = store.update(i.withStatus(InstanceStatus.RUNNING, i.progress(), null), 2000).orElseThrow();
        assertThat(first.version()).isEqualTo(2);
        assertThat(first.updateAt()).isEqualTo(2000);
        assertThat(store.update(i.withDesired(DesiredState.DELETED, null, InstanceStatus.DELETING), 3000)).isEmpty();
        assertThat(store.get(i.id())).contains(first);
    }

    @Test
    void eventsAreWrittenWithTheirChangeOnlyAndGoWithTheInstance() {
        Instance i = instance("p1", "alpha", 1000);
        var events = new dev.atelier.store.sql.SqlEventStore(db);
        store.insert(i, InstanceStore.Admission.NONE, null, List.of(event(i.id(), 1, InstanceEvent.Kind.CREATED)));
        Instance running = i.withStatus(InstanceStatus.RUNNING, i.progress(), null);
        store.update(running, 2000, List.of(event(i.id(), 2, InstanceEvent.Kind.RUNNING))).orElseThrow();
        assertThat(store.update(running, 2500, List.of(event(i.id(), 2, InstanceEvent.Kind.FAILED))))
                .as("a stale write").isEmpty();
        assertThat(events.page(i.id(), 0, 10).items()).extracting(InstanceEvent::kind, InstanceEvent::requestId)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(InstanceEvent.Kind.RUNNING, "req-2"),
                        org.assertj.core.groups.Tuple.tuple(InstanceEvent.Kind.CREATED, "req-1"));
        assertThat(events.deleteBefore(1500)).isEqualTo(1);
        assertThat(events.page(i.id(), 0, 10).total()).isEqualTo(1);
        assertThat(store.delete(i.id(), 2, 0)).isTrue();
        assertThat(events.page(i.id(), 0, 10).total()).isZero();
    }

    @Test
    void whatAServerRanIsBookedIntoItsCalendarMonthsByTheWritesThatStartAndEndItAndOutlivesTheInstance() {
        var usage = new dev.atelier.store.sql.SqlUsageStore(db);
        long dec31 = java.time.Instant.parse("2026-12-31T23:00:00Z").toEpochMilli();
        long hour = java.time.Duration.ofHours(1).toMillis();
        Instance i = instance("p1", "alpha", dec31 - hour);
        store.insert(i);
        Instance running = store.update(i.withStatus(InstanceStatus.RUNNING, i.progress(), null), dec31).orElseThrow();
        assertThat(usage.running("p1", null)).containsExactly(Map.entry("modelarts.vm.cpu.2u", 1L));
        assertThat(usage.runMillis("p1", null, "2026-12", dec31 + hour / 2))
                .as("a server running now counts up to the moment asked")
                .containsExactly(Map.entry("modelarts.vm.cpu.2u", hour / 2));
        Instance noticed = store.update(running.withStatus(InstanceStatus.RUNNING, running.progress(), "a notice"),
                dec31 + hour / 2).orElseThrow();
        assertThat(store.update(running.withStatus(InstanceStatus.STOPPING, running.progress(), null), dec31 + hour))
                .as("a stale write books nothing").isEmpty();
        Instance stopping = store.update(noticed.withStatus(InstanceStatus.STOPPING, noticed.progress(), null),
                dec31 + 2 * hour).orElseThrow();
        assertThat(usage.running("p1", null)).isEmpty();
        assertThat(usage.runMillis("p1", null, "2026-12", dec31 + 5 * hour))
                .containsExactly(Map.entry("modelarts.vm.cpu.2u", hour));
        assertThat(usage.runMillis("p1", null, "2027-01", dec31 + 5 * hour))
                .as("the hour after midnight (UTC) is January's").containsExactly(Map.entry("modelarts.vm.cpu.2u", hour));
        assertThat(usage.runMillis("p1", "owner-1", "2027-01", dec31 + 5 * hour)).hasSize(1);
        assertThat(usage.runMillis("p1", "someone-else", "2027-01", dec31 + 5 * hour)).isEmpty();
        assertThat(usage.runMillis("p2", null, "2027-01", dec31 + 5 * hour)).isEmpty();

        Instance again = store.update(stopping.withStatus(InstanceStatus.RUNNING, stopping.progress(), null),
                dec31 + 3 * hour).orElseThrow();
        Instance stopped = store.update(again.withStatus(InstanceStatus.STOPPED, again.progress(), null),
                dec31 + 4 * hour).orElseThrow();
        assertThat(store.delete(i.id(), stopped.version(), dec31 + 5 * hour)).isTrue();
        assertThat(usage.runMillis("p1", null, "2027-01", dec31 + 5 * hour))
                .as("a second run adds to the first, and deleting the instance gives back nothing")
                .containsExactly(Map.entry("modelarts.vm.cpu.2u", 2 * hour));

        Instance other = instance("p1", "beta", dec31);
        store.insert(other);
        Instance snapshotting = store.update(store.update(other.withStatus(InstanceStatus.RUNNING, other.progress(),
                null), dec31 + 5 * hour).orElseThrow().withStatus(InstanceStatus.SNAPSHOTTING, other.progress(), null),
                dec31 + 6 * hour).orElseThrow();
        assertThat(usage.running("p1", null)).as("saving an image: the server still runs")
                .containsExactly(Map.entry("modelarts.vm.cpu.2u", 1L));
        assertThat(store.delete(other.id(), snapshotting.version(), dec31 + 7 * hour)).isTrue();
        assertThat(usage.running("p1", null)).isEmpty();
        assertThat(usage.runMillis("p1", null, "2027-01", dec31 + 9 * hour))
                .as("a record removed while its server ran keeps what it ran up to then")
                .containsExactly(Map.entry("modelarts.vm.cpu.2u", 4 * hour));
    }

    private static InstanceEvent event(String id, long version, InstanceEvent.Kind kind) {
        return new InstanceEvent(id, version, 0, version * 1000, kind, InstanceEvent.Actor.SYSTEM, null,
                "req-" + version, InstanceStatus.RUNNING, "ü " + kind);
    }

    @Test
    void deleteComparesTheVersionToo() {
        Instance i = instance("p1", "alpha", 1000);
        store.insert(i);
        assertThat(store.delete(i.id(), 7, 0)).isFalse();
        assertThat(store.delete(i.id(), 1, 0)).isTrue();
        assertThat(store.get(i.id())).isEmpty();
    }

    @Test
    void listFiltersByProjectNameAndStatusNewestFirstWithPaging() {
        for (int n = 0; n < 5; n++) {
            store.insert(instance("p1", "train-" + n, 1000 + n));
        }
        store.insert(instance("p1", "other_x", 900));
        store.insert(instance("p2", "train-9", 5000));
        Instance failed = instance("p1", "train%literal", 800).withStatus(InstanceStatus.ERROR, Progress.waiting(), "x");
        store.insert(failed);

        var all = store.list(query("p1", null, null, 0, 100));
        assertThat(all.total()).isEqualTo(7);
        assertThat(all.items()).extracting(Instance::name).containsExactly("train-4", "train-3", "train-2",
                "train-1", "train-0", "other_x", "train%literal");

        var page = store.list(query("p1", "train-", null, 2, 2));
        assertThat(page.total()).isEqualTo(5);
        assertThat(page.items()).extracting(Instance::name).containsExactly("train-2", "train-1");

        assertThat(store.list(query("p1", "TRAIN", null, 0, 10)).total()).as("names match case-sensitively").isZero();
        assertThat(store.list(query("p1", "%", null, 0, 10)).items())
                .extracting(Instance::name).containsExactly("train%literal");
        assertThat(store.list(query("p1", "_", null, 0, 10)).items())
                .extracting(Instance::name).containsExactly("other_x");
        assertThat(store.list(query("p1", null, "ERROR", 0, 10)).items()).containsExactly(failed);
        var beyond = store.list(query("p1", null, null, 50, 10));
        assertThat(beyond.items()).isEmpty();
        assertThat(beyond.total()).isEqualTo(7);
    }

    static InstanceQuery query(String project, String name, String status, int offset, int limit) {
        return InstanceQuery.in(project).nameContains(name)
                .statuses(status == null ? null : List.of(InstanceStatus.valueOf(status))).page(offset, limit).build();
    }

    @Test
    void listSortsByEveryFieldBothWaysWithIdBreakingTies() {
        Instance b = instance("p1", "b", 10);
        Instance a1 = instance("p1", "a", 20);
        Instance a2 = instance("p1", "a", 20);
        Instance c = instance("p1", "c", 5).withSpec("c", "d", "modelarts.vm.cpu.8u", "img", b.volume());
        for (Instance i : List.of(b, a1, a2, c)) {
            store.insert(i);
        }
        String lowA = a1.id().compareTo(a2.id()) < 0 ? a1.id() : a2.id();
        String highA = lowA.equals(a1.id()) ? a2.id() : a1.id();
        var byName = store.list(InstanceQuery.in("p1").sort(List.of(new InstanceStore.Sort("name", true)))
                .page(0, 10).build()).items();
        assertThat(byName).extracting(Instance::id).containsExactly(lowA, highA, b.id(), c.id());
        var byNameDesc = store.list(InstanceQuery.in("p1").sort(List.of(new InstanceStore.Sort("name", false)))
                .page(0, 10).build()).items();
        assertThat(byNameDesc).extracting(Instance::id).containsExactly(c.id(), b.id(), highA, lowA);
        var byFlavorThenCreated = store.list(InstanceQuery.in("p1").sort(List.of(new InstanceStore.Sort("flavor", true),
                new InstanceStore.Sort("create_at", true))).page(0, 10).build())
                .items();
        assertThat(byFlavorThenCreated).extracting(Instance::id).containsExactly(b.id(), lowA, highA, c.id());
        var filtered = store.list(InstanceQuery.in("p1").owner("owner-1")
                .statuses(List.of(InstanceStatus.CREATING, InstanceStatus.RUNNING)).feature(Feature.NOTEBOOK).workspace("0")
                .flavor("modelarts.vm.cpu.8u").image("img").id(c.id()).sort(List.of()).page(0, 10).build());
        assertThat(filtered.items()).containsExactly(c);
        assertThat(store.list(InstanceQuery.in("p1").owner("someone-else").page(0, 10).build()).total())
                .isZero();
        assertThat(store.list(InstanceQuery.in("p1").pool("dedicated-pool").page(0, 10).build()).total())
                .as("no instance runs in a dedicated pool").isZero();
    }

    @Test
    void aReplicaClaimsWhatTheReconcilerMustVisitAndAnotherTakesOverOnlyWhenTheClaimLapses() {
        Instance creating = instance("p1", "a", 1);
        Instance failed = instance("p1", "b", 2).withStatus(InstanceStatus.CREATE_FAILED, Progress.waiting(), "x");
        Instance failedToDelete = instance("p1", "c", 3).withStatus(InstanceStatus.ERROR, Progress.waiting(), "x")
                .withDesired(DesiredState.DELETED, null, InstanceStatus.ERROR);
        store.insert(creating);
        store.insert(failed);
        store.insert(failedToDelete);
        assertThat(store.claimActive("r1", 1000, 2000)).containsExactlyInAnyOrder(creating.id(), failedToDelete.id());
        assertThat(store.claimActive("r2", 1500, 2500)).isEmpty();
        assertThat(store.claim(creating.id(), "r2", 1500, 2500)).isFalse();
        assertThat(store.claim(creating.id(), "r1", 1500, 2500)).isTrue(); // renewing its own
        assertThat(store.claim(failed.id(), "r2", 1500, 2500)).isTrue(); // nobody held it
        // r1 stops renewing: once its claims lapse, r2 takes them
        assertThat(store.claimActive("r2", 3000, 4000)).containsExactlyInAnyOrder(creating.id(), failedToDelete.id());
        assertThat(store.claim(creating.id(), "r1", 3500, 4500)).isFalse();
    }

    @Test
    void tagsAreUpsertedRemovedAggregatedCountedAndGoWithTheInstance() {
        Instance a = instance("p1", "a", 1);
        Instance b = instance("p1", "b", 2);
        store.insert(a);
        store.insert(b);
        store.putTags(a.id(), Map.of("team", "vision", "Zone", "eu"));
        store.putTags(a.id(), Map.of("team", "nlp"));
        store.putTags(b.id(), Map.of("team", "vision"));
        assertThat(store.tags(List.of(a.id(), b.id(), "none"))).containsOnlyKeys(a.id(), b.id());
        assertThat(store.tags(List.of(a.id())).get(a.id())).containsExactly(Map.entry("Zone", "eu"),
                Map.entry("team", "nlp"));
        assertThat(store.projectTags("p1", "0")).containsExactly(Map.entry("Zone", List.of("eu")),
                Map.entry("team", List.of("nlp", "vision")));
        store.removeTags(a.id(), new java.util.HashMap<>(Map.of("Zone", "other")));
        java.util.Map<String, String> byKey = new java.util.HashMap<>();
        byKey.put("team", null);
        store.removeTags(a.id(), byKey);
        assertThat(store.tags(List.of(a.id())).get(a.id())).containsExactly(Map.entry("Zone", "eu"));
        assertThat(store.countOwned("p1", "owner-1", Feature.NOTEBOOK)).isEqualTo(2);
        store.update(b.withDesired(DesiredState.DELETED, null, InstanceStatus.DELETING), 5);
        assertThat(store.countOwned("p1", "owner-1", Feature.NOTEBOOK)).isEqualTo(1);
        assertThat(store.delete(a.id(), 1, 0)).isTrue();
        assertThat(store.tags(List.of(a.id()))).isEmpty();
    }

    @Test
    void detailsReadTagsMountsAndSshEndpointsOfManyInstancesInOneGo() {
        Instance a = instance("p1", "a", 1);
        Instance b = instance("p1", "b", 2);
        Instance bare = instance("p1", "bare", 3);
        for (Instance i : List.of(a, b, bare)) {
            store.insert(i);
        }
        store.putTags(a.id(), Map.of("team", "vision", "Zone", "eu", "\uD83D\uDE00", "emoji", "\uFFFD", "replacement"));
        var mounts = new SqlMountStore(db);
        Mount later = new Mount("m-2", a.id(), "OBS", "/data/later", "obs://b/later", MountStatus.MOUNTED, null, 20, 20);
        Mount earlier = new Mount("m-1", a.id(), "OBS", "/data/earlier", "obs://b/earlier", MountStatus.MOUNT_FAILED,
                "no bucket",
                10, 11);
        mounts.insert(later);
        mounts.insert(earlier);
        var keys = new SqlKeyPairStore(db);
        var endpoint = new KeyPairStore.SshEndpoint(List.of("laptop", "ci"), List.of("10.0.0.0/8"));
        keys.setEndpoint(b.id(), endpoint);

        var details = new SqlInstanceReads(db, store).details(List.of(a.id(), b.id(), bare.id(), "missing"));

        assertThat(details).containsOnlyKeys(a.id(), b.id(), bare.id(), "missing");
        // keys in code-point order, as the databases' binary collation orders them (U+FFFD before U+1F600)
        assertThat(details.get(a.id()).tags()).containsExactly(Map.entry("Zone", "eu"), Map.entry("team", "vision"),
                Map.entry("\uFFFD", "replacement"), Map.entry("\uD83D\uDE00", "emoji"));
        assertThat(details.get(a.id()).mounts()).containsExactly(earlier, later);
        assertThat(details.get(a.id()).ssh()).isEmpty();
        assertThat(details.get(b.id())).isEqualTo(new InstanceReads.Details(Map.of(), List.of(),
                java.util.Optional.of(endpoint)));
        assertThat(details.get(bare.id())).isEqualTo(InstanceReads.Details.NONE);
        assertThat(details.get("missing")).isEqualTo(InstanceReads.Details.NONE);
        assertThat(new SqlInstanceReads(db, store).details(List.of())).isEmpty();
    }

    /** The read model on top of the store, as the server wires it. */
    CachedInstanceReads cached(Database on, InstanceStore over) {
        var reads = new CachedInstanceReads(new SqlInstanceReads(on, over), on.changes());
        on.changes().catchUp();
        return reads;
    }

    /** A write that changes the record but not its version, so no trigger hears it: only memory still shows the old. */
    void renameBehindTheFeed(String id, String name) {
        db.jdbi().useHandle(h -> h.createUpdate("UPDATE instances SET name = :n WHERE id = :id").bind("n", name)
                .bind("id", id).execute());
    }

    @Test
    void cachedReadsAnswerFromMemoryAndSeeEveryWriteOfThisServerBeforeItReturns() {
        Instance a = instance("p1", "a", 1);
        store.insert(a);
        var reads = cached(db, store);
        assertThat(reads.instance(a.id())).contains(a);
        assertThat(reads.details(List.of(a.id()))).containsEntry(a.id(), InstanceReads.Details.NONE);

        renameBehindTheFeed(a.id(), "renamed");
        assertThat(reads.instance(a.id()).orElseThrow().name()).as("kept in memory").isEqualTo("a");
        assertThat(store.get(a.id()).orElseThrow().name()).isEqualTo("renamed");

        Instance running = store.update(store.get(a.id()).orElseThrow()
                .withStatus(InstanceStatus.RUNNING, a.progress(), null), 2).orElseThrow();
        assertThat(reads.instance(a.id())).contains(running);

        store.putTags(a.id(), Map.of("team", "vision"));
        assertThat(reads.details(List.of(a.id())).get(a.id()).tags()).containsExactly(Map.entry("team", "vision"));
        assertThat(reads.details(a.id()).tags()).as("one instance's, as a show reads them")
                .containsExactly(Map.entry("team", "vision"));
        store.removeTags(a.id(), Map.of("team", "vision"));
        assertThat(reads.details(a.id()).tags()).isEmpty();
        assertThat(reads.details(List.of(a.id())).get(a.id()).tags()).isEmpty();

        var mounts = new SqlMountStore(db);
        Mount m = new Mount("m-1", a.id(), "OBS", "/data/x", "obs://b/x", MountStatus.MOUNTING, null, 10, 10);
        mounts.insert(m);
        assertThat(reads.details(List.of(a.id())).get(a.id()).mounts()).containsExactly(m);
        Mount mounted = new Mount("m-1", a.id(), "OBS", "/data/x", "obs://b/x", MountStatus.MOUNTED, null, 10, 11);
        mounts.update(mounted);
        assertThat(reads.details(List.of(a.id())).get(a.id()).mounts()).containsExactly(mounted);
        mounts.delete("m-1");
        assertThat(reads.details(List.of(a.id())).get(a.id()).mounts()).isEmpty();

        var keys = new SqlKeyPairStore(db);
        var endpoint = new KeyPairStore.SshEndpoint(List.of("laptop"), List.of());
        keys.setEndpoint(a.id(), endpoint);
        assertThat(reads.details(a.id()).ssh()).contains(endpoint);
        assertThat(reads.details(List.of(a.id())).get(a.id()).ssh()).contains(endpoint);
        keys.deleteEndpoint(a.id());
        assertThat(reads.details(a.id()).ssh()).isEmpty();
        assertThat(reads.details(List.of(a.id())).get(a.id()).ssh()).isEmpty();

        assertThat(store.delete(a.id(), running.version(), 0)).isTrue();
        assertThat(reads.instance(a.id())).isEmpty();
    }

    @Test
    void anAdmissionLetsExactlyAsManyConcurrentCreatesThroughAsItAllows() throws Exception {
        List<InstanceStore.Admitted> quota = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        List<InstanceStore.Admitted> names = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 16; i++) {
                int n = i;
                done.add(pool.submit(() -> quota.add(store.insert(instance("p1", "q" + n, n),
                        new InstanceStore.Admission(3, false), null, List.of()))));
                done.add(pool.submit(() -> names.add(store.insert(instance("p2", "same", n),
                        new InstanceStore.Admission(100, true), null, List.of()))));
            }
        }
        for (var f : done) {
            f.get(); // none failed
        }
        assertThat(quota).filteredOn(a -> a == InstanceStore.Admitted.INSERTED).hasSize(3);
        assertThat(quota).filteredOn(a -> a == InstanceStore.Admitted.QUOTA_EXCEEDED).hasSize(13);
        assertThat(names).filteredOn(a -> a == InstanceStore.Admitted.INSERTED).hasSize(1);
        assertThat(names).filteredOn(a -> a == InstanceStore.Admitted.NAME_TAKEN).hasSize(15);
        assertThat(store.countOwned("p1", "owner-1", Feature.NOTEBOOK)).isEqualTo(3);
        // a name is free again once its instance is on its way out
        Instance gone = store.list(InstanceQuery.all("p2", 0, 10)).items().get(0);
        store.update(gone.withDesired(DesiredState.DELETED, null, InstanceStatus.DELETING), 5);
        assertThat(store.insert(instance("p2", "same", 99), new InstanceStore.Admission(100, true), null, List.of()))
                .isEqualTo(InstanceStore.Admitted.INSERTED);
    }

    @Test
    void anInstanceIsInsertedWithItsSshEndpointAndDeletedWithEverythingThatHangsOnIt() {
        Instance a = instance("p1", "a", 1);
        var endpoint = new KeyPairStore.SshEndpoint(List.of("laptop"), List.of("10.0.0.0/8"));
        assertThat(store.insert(a, InstanceStore.Admission.NONE, endpoint, List.of())).isEqualTo(InstanceStore.Admitted.INSERTED);
        var keys = new SqlKeyPairStore(db);
        var mounts = new SqlMountStore(db);
        assertThat(keys.endpoint(a.id())).contains(endpoint);
        store.putTags(a.id(), Map.of("team", "vision"));
        mounts.insert(new Mount("m-1", a.id(), "OBS", "/data/x", "obs://b/x", MountStatus.MOUNTED, null, 10, 10));

        assertThat(store.delete(a.id(), a.version(), 0)).isTrue();
        assertThat(keys.endpoint(a.id())).isEmpty();
        assertThat(mounts.ofInstance(a.id())).isEmpty();
        assertThat(store.tags(List.of(a.id()))).isEmpty();
    }

    @Test
    void listTotalsKeptBetweenChangesFollowCreatesStatusChangesAndDeletesHereAndOnAnotherReplica() {
        db.changes().catchUp(); // the feed is current: totals are kept in memory from now on
        Instance a = instance("p1", "a", 1);
        store.insert(a);
        assertThat(store.list(query("p1", null, null, 0, 10)).total()).isEqualTo(1);
        assertThat(store.list(query("p1", null, "CREATING", 0, 10)).total()).isEqualTo(1);
        Instance b = instance("p1", "b", 2);
        store.insert(b); // a create, heard before it returns
        assertThat(store.list(query("p1", null, null, 0, 10)).total()).isEqualTo(2);
        Instance stopping = store.update(a.withDesired(DesiredState.STOPPED, null, InstanceStatus.STOPPING), 2)
                .orElseThrow();
        assertThat(store.list(query("p1", null, "CREATING", 0, 10)).total()).isEqualTo(1);
        assertThat(store.list(query("p1", null, "STOPPING", 0, 10)).total()).isEqualTo(1);

        try (Database other = Database.open(url)) { // a replica's creates and deletes reach this one's totals
            var otherStore = new SqlInstanceStore(other);
            db.changes().start(50);
            otherStore.insert(instance("p1", "c", 3));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(2)).untilAsserted(() ->
                    assertThat(store.list(query("p1", null, null, 0, 10)).total()).isEqualTo(3));
            assertThat(otherStore.delete(stopping.id(), stopping.version(), 0)).isTrue();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(2)).untilAsserted(() ->
                    assertThat(store.list(query("p1", null, null, 0, 10)).total()).isEqualTo(2));
            assertThat(store.list(query("p1", null, "STOPPING", 0, 10)).total()).isZero();
        }
    }

    @Test
    void cachedReadsSeeAnotherReplicasWritesThroughTheFeed() {
        Instance a = instance("p1", "a", 1);
        store.insert(a);
        try (Database other = Database.open(url)) {
            var otherStore = new SqlInstanceStore(other);
            var reads = cached(other, otherStore);
            other.changes().start(50);
            assertThat(reads.instance(a.id())).contains(a);
            assertThat(reads.details(List.of(a.id())).get(a.id()).tags()).isEmpty();

            Instance stopping = store.update(a.withDesired(DesiredState.STOPPED, null, InstanceStatus.STOPPING), 2)
                    .orElseThrow();
            store.putTags(a.id(), Map.of("team", "vision"));
            long t0 = System.nanoTime();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(2)).pollInterval(
                    java.time.Duration.ofMillis(5)).untilAsserted(() -> {
                        assertThat(reads.instance(a.id())).contains(stopping);
                        assertThat(reads.details(List.of(a.id())).get(a.id()).tags()).containsKey("team");
                    });
            assertThat(System.nanoTime() - t0).as("seen within a few feed intervals").isLessThan(1_000_000_000L);

            assertThat(store.delete(a.id(), stopping.version(), 0)).isTrue();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(2))
                    .until(() -> reads.instance(a.id()).isEmpty());
        }
    }

    @Test
    void aLostCompareAndSetShowsTheWinnersWriteAtOnce() {
        Instance a = instance("p1", "a", 1);
        store.insert(a);
        var reads = cached(db, store); // this server's feed is read only after its own writes here
        assertThat(reads.instance(a.id())).contains(a);
        Instance stopping;
        try (Database other = Database.open(url)) {
            stopping = new SqlInstanceStore(other).update(a.withDesired(DesiredState.STOPPED, null,
                    InstanceStatus.STOPPING), 2).orElseThrow();
        }
        assertThat(reads.instance(a.id())).as("not heard yet").contains(a);
        assertThat(store.update(a.withStatus(InstanceStatus.RUNNING, a.progress(), null), 3)).isEmpty();
        assertThat(reads.instance(a.id())).contains(stopping);
    }

    @Test
    void aReadThatOverlapsAChangeIsNotKept() {
        Instance a = instance("p1", "a", 1);
        store.insert(a);
        var real = new SqlInstanceReads(db, store);
        // the change lands after the read went to the store and before its answer is kept
        var racing = new InstanceReads() {
            boolean raced;

            @Override
            public java.util.Optional<Instance> instance(String id) {
                var before = real.instance(id);
                if (!raced) {
                    raced = true;
                    store.update(before.orElseThrow().withStatus(InstanceStatus.RUNNING, a.progress(), null), 2);
                }
                return before;
            }

            @Override
            public Map<String, Details> details(java.util.Collection<String> ids) {
                return real.details(ids);
            }
        };
        var reads = new CachedInstanceReads(racing, db.changes());
        db.changes().catchUp();

        assertThat(reads.instance(a.id()).orElseThrow().status()).as("what the read saw").isEqualTo(
                InstanceStatus.CREATING);
        assertThat(reads.instance(a.id()).orElseThrow().status()).as("not kept: read again").isEqualTo(
                InstanceStatus.RUNNING);
    }

    @Test
    void whileTheFeedCannotBeReadReadsGoToTheStore() {
        Instance a = instance("p1", "a", 1);
        store.insert(a);
        var reads = cached(db, store);
        assertThat(reads.instance(a.id())).contains(a);
        db.jdbi().useHandle(h -> h.execute("ALTER TABLE instance_changes RENAME TO instance_changes_away"));
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> db.changes().catchUp())
                    .isInstanceOf(RuntimeException.class);
            renameBehindTheFeed(a.id(), "renamed");
            assertThat(reads.instance(a.id()).orElseThrow().name()).isEqualTo("renamed");
            assertThat(db.changes().current(Long.MAX_VALUE)).isFalse();
        } finally {
            db.jdbi().useHandle(h -> h.execute("ALTER TABLE instance_changes_away RENAME TO instance_changes"));
        }
        db.changes().catchUp();
        assertThat(db.changes().current(1_000_000_000L)).isTrue();
        assertThat(reads.instance(a.id()).orElseThrow().name()).isEqualTo("renamed");
        renameBehindTheFeed(a.id(), "again");
        assertThat(reads.instance(a.id()).orElseThrow().name()).as("kept again").isEqualTo("renamed");
    }

    @Test
    void aChangeCommittedOutOfSequenceOrderIsStillHeard() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(url.startsWith("jdbc:postgresql:"),
                "SQLite has one writer at a time: its changes commit in sequence order");
        Instance a = instance("p1", "a", 1);
        Instance b = instance("p1", "b", 2);
        store.insert(a);
        store.insert(b);
        var reads = cached(db, store);
        assertThat(reads.instance(a.id())).contains(a);
        try (var slow = java.sql.DriverManager.getConnection(url)) {
            slow.setAutoCommit(false);
            try (var st = slow.prepareStatement("UPDATE instances SET name = 'late', version = version + 1 "
                    + "WHERE id = ?")) {
                st.setString(1, a.id());
                st.executeUpdate(); // takes a sequence number, not visible until commit
            }
            Instance running = store.update(b.withStatus(InstanceStatus.RUNNING, b.progress(), null), 3)
                    .orElseThrow(); // a higher number, committed first
            assertThat(reads.instance(b.id())).contains(running);
            slow.commit();
        }
        db.changes().catchUp();
        assertThat(reads.instance(a.id()).orElseThrow().name()).isEqualTo("late");
    }

    @Test
    void theFeedIgnoresClaimsWhichDoNotChangeTheVersion() {
        Instance a = instance("p1", "a", 1);
        store.insert(a);
        long before = changeRows();
        assertThat(store.claim(a.id(), "replica-1", 1, 1000)).isTrue();
        store.claimActive("replica-1", 2, 2000);
        assertThat(changeRows()).isEqualTo(before);
        store.update(a.withStatus(InstanceStatus.RUNNING, a.progress(), null), 3);
        assertThat(changeRows()).isEqualTo(before + 1);
    }

    long changeRows() {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM instance_changes").mapTo(Long.class)
                .one());
    }

    @Test
    void aDeletedTokenStandsForNobodyAtOnceEvenWhenItWasJustRead() {
        var ids = new SqlIdentityStore(db);
        ids.createUser("u1", "alice", 1);
        ids.createProject("p1", "team", 1);
        ids.addMember("p1", "u1", "member");
        ids.createToken("hash1", "u1", "p1", 10, Long.MAX_VALUE);
        assertThat(ids.byToken("hash1")).isPresent(); // now kept for a moment
        ids.deleteToken("hash1");
        assertThat(ids.byToken("hash1")).isEmpty();
    }

    @Test
    void projectsAreReadAgainAfterAWriteAndNamesAreReadInOneGo() {
        var ids = new SqlIdentityStore(db);
        ids.createProject("p1", "team", 1);
        assertThat(ids.projects()).extracting(IdentityStore.Project::name).containsExactly("team");
        ids.createProject("p2", "another", 1);
        assertThat(ids.projects()).extracting(IdentityStore.Project::name).containsExactly("another", "team");
        ids.createUser("u1", "alice", 1);
        ids.createUser("u2", "bob", 1);
        assertThat(ids.userNames(java.util.List.of("u1", "u2", "u1", "gone")))
                .containsExactlyInAnyOrderEntriesOf(java.util.Map.of("u1", "alice", "u2", "bob"));
        assertThat(ids.userNames(java.util.List.of())).isEmpty();
    }

    @Test
    void identitiesRoundTrip() {
        var ids = new SqlIdentityStore(db);
        assertThat(ids.hasUsers()).isFalse();
        ids.createUser("u1", "alice", 1);
        ids.createProject("p1", "team", 1);
        ids.addMember("p1", "u1", "admin");
        ids.createAccessKey("AK1", "u1", "sealed", 1);
        assertThat(ids.hasUsers()).isTrue();
        assertThat(ids.rolesOf("u1")).containsExactly(java.util.Map.entry("p1", "admin"));
        ids.addMember("p1", "u1", "member"); // a second add changes the role
        assertThat(ids.rolesOf("u1")).containsExactly(java.util.Map.entry("p1", "member"));
        assertThat(ids.user("alice")).hasValueSatisfying(u -> {
            assertThat(u.id()).isEqualTo("u1");
            assertThat(u.enabled()).isTrue();
            assertThat(u.serviceAdmin()).isFalse();
            assertThat(u.passwordHash()).isNull();
        });
        ids.createToken("hash1", "u1", "p1", 10, 20);
        assertThat(ids.byToken("hash1").map(IdentityStore.Principal::credential))
                .contains(new IdentityStore.TokenRecord("u1", "p1", 10, 20));
        assertThat(ids.byToken("hash1")).hasValueSatisfying(p -> {
            assertThat(p.user().name()).isEqualTo("alice");
            assertThat(p.roles()).containsExactly(java.util.Map.entry("p1", "member"));
            assertThat(p.credential().projectId()).isEqualTo("p1");
        });
        ids.createProject("p2", "other", 1);
        ids.addMember("p2", "u1", "admin");
        assertThat(ids.byAccessKey("AK1")).hasValueSatisfying(p -> {
            assertThat(p.credential().sealedSecret()).isEqualTo("sealed");
            assertThat(p.user().id()).isEqualTo("u1");
            assertThat(p.roles()).containsOnly(java.util.Map.entry("p1", "member"), java.util.Map.entry("p2", "admin"));
        });
        assertThat(ids.byAccessKey("AK2")).isEmpty();
        assertThat(ids.deleteExpiredTokens(21)).isEqualTo(1);
        assertThat(ids.byToken("hash1")).isEmpty();
        assertThat(ids.findAccessKey("AK1")).hasValueSatisfying(k -> {
            assertThat(k.userId()).isEqualTo("u1");
            assertThat(k.sealedSecret()).isEqualTo("sealed");
            assertThat(k.enabled()).isTrue();
        });
        assertThat(ids.findAccessKey("AK2")).isEmpty();
    }

    @Test
    void aChangeThatWouldLeaveAProjectWithoutAnEnabledAdministratorIsRefusedAndChangesNothing() {
        var ids = new SqlIdentityStore(db);
        ids.createUser("u1", "alice", 1);
        ids.createUser("u2", "bob", 1);
        ids.createProject("p1", "team", 1);
        ids.addMember("p1", "u1", "admin");
        ids.addMember("p1", "u2", "admin");
        ids.setEnabled("u2", false); // a disabled administrator manages nothing
        assertThatThrownBy(() -> ids.addMember("p1", "u1", "member", true))
                .isInstanceOf(IdentityStore.LastAdministrator.class);
        assertThatThrownBy(() -> ids.removeMember("p1", "u1", true)).isInstanceOf(IdentityStore.LastAdministrator.class);
        assertThatThrownBy(() -> ids.deleteUser("u1", true))
                .isInstanceOf(IdentityStore.LastAdministrator.class);
        assertThat(ids.rolesOf("u1")).containsExactly(java.util.Map.entry("p1", "admin"));
        assertThat(ids.user("u1")).isPresent();
        ids.setEnabled("u2", true);
        assertThat(ids.removeMember("p1", "u1", true)).isTrue();
        assertThat(ids.rolesOf("u1")).isEmpty();
    }

    @Test
    void twoAdministratorsRemovingEachOtherAtOnceLeaveOneOfThem() throws Exception {
        var one = new SqlIdentityStore(db);
        var other = new SqlIdentityStore(db); // as another replica would
        one.createUser("u1", "alice", 1);
        one.createUser("u2", "bob", 1);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 10; round++) {
                String project = "p" + round;
                one.createProject(project, "team-" + round, 1);
                one.addMember(project, "u1", "admin");
                one.addMember(project, "u2", "admin");
                var start = new java.util.concurrent.CountDownLatch(1);
                java.util.concurrent.Callable<Boolean> removeBob = () -> {
                    start.await();
                    return one.removeMember(project, "u2", true);
                };
                java.util.concurrent.Callable<Boolean> demoteAlice = () -> {
                    start.await();
                    other.addMember(project, "u1", "member", true);
                    return true;
                };
                var a = pool.submit(removeBob);
                var b = pool.submit(demoteAlice);
                start.countDown();
                int succeeded = 0;
                for (var f : java.util.List.of(a, b)) {
                    try {
                        f.get(30, java.util.concurrent.TimeUnit.SECONDS);
                        succeeded++;
                    } catch (java.util.concurrent.ExecutionException e) {
                        assertThat(e.getCause()).isInstanceOf(IdentityStore.LastAdministrator.class);
                    }
                }
                assertThat(succeeded).as("round %d", round).isEqualTo(1);
                assertThat(one.members(project)).filteredOn(m -> m.role().equals("admin")).hasSize(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aSignaturesPrincipalIsReadAfreshAfterAnyWriteHereAndWithinASecondOfAWriteElsewhere() {
        var ids = new SqlIdentityStore(db);
        ids.createUser("u1", "alice", 1);
        ids.createProject("p1", "team", 1);
        ids.addMember("p1", "u1", "member");
        ids.createAccessKey("AK1", "u1", "sealed", 1);
        assertThat(ids.byAccessKey("AK1")).hasValueSatisfying(p -> assertThat(p.user().enabled()).isTrue());

        // through this store (this server): from the very next read
        ids.setEnabled("u1", false);
        assertThat(ids.byAccessKey("AK1")).hasValueSatisfying(p -> assertThat(p.user().enabled()).isFalse());
        ids.setEnabled("u1", true);
        ids.removeMember("p1", "u1", false);
        assertThat(ids.byAccessKey("AK1")).hasValueSatisfying(p -> assertThat(p.roles()).isEmpty());
        ids.deleteAccessKey("AK1");
        assertThat(ids.byAccessKey("AK1")).isEmpty();

        // through another replica's store: within PRINCIPAL_TTL
        ids.createAccessKey("AK2", "u1", "sealed", 1);
        assertThat(ids.byAccessKey("AK2")).isPresent();
        new SqlIdentityStore(db).setAccessKeyEnabled("AK2", false);
        org.awaitility.Awaitility.await().atMost(SqlIdentityStore.PRINCIPAL_TTL.plusMillis(500))
                .pollInterval(java.time.Duration.ofMillis(50))
                .until(() -> !ids.byAccessKey("AK2").orElseThrow().credential().enabled());
    }

    @Test
    void migratingTwiceIsANoOp() {
        store.insert(instance("p1", "kept", 1));
        try (Database again = Database.open(url)) {
            assertThat(new SqlInstanceStore(again).list(query("p1", null, null, 0, 10)).total())
                    .isEqualTo(1);
        }
    }
}

class SqliteInstanceStoreTest extends InstanceStoreContractTest {
    @Override
    String databaseUrl(Path dir) {
        return "jdbc:sqlite:" + dir.resolve("test.db");
    }

    @Test
    void listsAreCountedOnAnIndexAloneWithOrWithoutAStatusAndForOneOwnerWithANameToo() {
        for (String filter : List.of("status IN ('ERROR')", "name LIKE '%nb-42%'")) {
            List<String> plan = db.jdbi().withHandle(h -> h.createQuery("EXPLAIN QUERY PLAN SELECT COUNT(*) "
                    + "FROM instances WHERE project_id = 'p' AND owner_id = 'me' AND workspace_id = '0' AND " + filter)
                    .map((rs, ctx) -> rs.getString("detail")).list());
            assertThat(String.join("\n", plan)).as(filter).contains("COVERING INDEX ix_instances_ws_owner_created");
        }
        for (String filter : List.of("", " AND status IN ('ERROR')")) {
            List<String> plan = db.jdbi().withHandle(h -> h.createQuery("EXPLAIN QUERY PLAN SELECT COUNT(*) "
                    + "FROM instances WHERE project_id = 'p' AND workspace_id = '0'" + filter)
                    .map((rs, ctx) -> rs.getString("detail")).list());
            assertThat(String.join("\n", plan)).as(filter).contains("COVERING INDEX ix_instances_ws_status ");
        }
    }
}

class PostgresInstanceStoreTest extends InstanceStoreContractTest {
    @Override
    String databaseUrl(Path dir) {
        return Postgres.freshSchemaUrl();
    }
}
