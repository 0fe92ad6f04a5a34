package dev.atelier.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.atelier.core.auth.Caller;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceEvent;
import dev.atelier.core.model.InstanceEvent.Actor;
import dev.atelier.core.model.InstanceEvent.Kind;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.port.InstanceRuntime.Health;
import dev.atelier.store.sql.SqlEventStore;
import dev.atelier.store.sql.SqlInstanceStore;
import dev.atelier.support.InMemoryRuntime;
import dev.atelier.support.MovableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each instance's event list as the API and the reconciler write it: what happened, in order, who caused it and
 * why. A real store (SQLite), the in-memory runtime, one reconciler pass at a time and a clock the test moves.
 */
class InstanceEventsTest {
    @TempDir
    Path dir;
    ServiceWorld world;
    SqlInstanceStore store;
    SqlEventStore eventStore;
    InMemoryRuntime runtime;
    MovableClock clock;
    Reconciler reconciler;
    InstanceService instances;
    EventLog events;
    Caller alice;
    Caller admin;

    @BeforeEach
    void open() {
        world = new ServiceWorld(dir);
        store = world.store;
        runtime = world.runtime;
        clock = world.clock;
        reconciler = world.reconciler;
        instances = world.instances;
        alice = world.alice;
        admin = world.admin;
        eventStore = new SqlEventStore(world.db);
        events = new EventLog(eventStore, instances, clock, Duration.ofDays(30));
    }

    @AfterEach
    void close() {
        world.close();
    }

    private Instance create(String leaseType) {
        return world.create("modelarts.vm.cpu.2u", leaseType);
    }

    private Instance running(String leaseType) {
        return world.running("modelarts.vm.cpu.2u", leaseType);
    }

    /** The instance's events, oldest first. */
    private List<InstanceEvent> history(String id) {
        return eventStore.page(id, 0, 100).items().reversed();
    }

    @Test
    void aCreateThatRunsThenIsStoppedByItsLeaseAndStartedByAnAdministratorSaysSoInOrder() {
        Instance i = running("timing");
        clock.advance(Duration.ofMinutes(61));
        reconciler.reconcile(i.id());
        reconciler.reconcile(i.id());
        instances.start(admin, "p1", i.id(), null, null);

        assertThat(history(i.id())).extracting(InstanceEvent::kind, InstanceEvent::actor, InstanceEvent::actorName,
                InstanceEvent::status).containsExactly(
                tuple(Kind.CREATED, Actor.USER, "alice", InstanceStatus.CREATING),
                tuple(Kind.RUNNING, Actor.SYSTEM, null, InstanceStatus.RUNNING),
                tuple(Kind.STOP_REQUESTED, Actor.LEASE, null, InstanceStatus.STOPPING),
                tuple(Kind.STOPPED, Actor.SYSTEM, null, InstanceStatus.STOPPED),
                tuple(Kind.START_REQUESTED, Actor.ADMINISTRATOR, "root", InstanceStatus.STARTING));
        assertThat(history(i.id()).get(2).message()).startsWith("auto-stopped: its lease ran out at ");
        assertThat(history(i.id()).get(0).message()).contains("modelarts.vm.cpu.2u").contains("5 GB");
        assertThat(history(i.id())).extracting(InstanceEvent::at).isSorted();
    }

    @Test
    void anIdleInstanceIsStoppedByTheIdleCuller() {
        Instance i = running("idle");
        clock.advance(Duration.ofMinutes(61));
        reconciler.reconcile(i.id());
        InstanceEvent stop = eventStore.page(i.id(), 0, 1).items().getFirst();
        assertThat(stop.kind()).isEqualTo(Kind.STOP_REQUESTED);
        assertThat(stop.actor()).isEqualTo(Actor.IDLE_CULLER);
        assertThat(stop.message()).startsWith("auto-stopped: idle since");
    }

    @Test
    void aFailedStartIsAnErrorInTheRuntimesWordsFoundByTheHealthCheck() {
        runtime.launchFailure = "image pull failed: manifest unknown";
        Instance i = create("timing");
        reconciler.reconcile(i.id());
        InstanceEvent failed = eventStore.page(i.id(), 0, 1).items().getFirst();
        assertThat(failed.kind()).isEqualTo(Kind.FAILED);
        assertThat(failed.kind().level()).isEqualTo(InstanceEvent.Level.ERROR);
        assertThat(failed.actor()).isEqualTo(Actor.HEALTH_CHECK);
        assertThat(failed.status()).isEqualTo(InstanceStatus.CREATE_FAILED);
        assertThat(failed.message()).isEqualTo("image pull failed: manifest unknown");
    }

    @Test
    void aWarningAboutARunningInstanceAndItsEndAreEvents() {
        Instance i = running("timing");
        runtime.servers.get(i.id()).health = Health.ready(null, "1 process(es) of this instance were killed for "
                + "exceeding its flavor's memory limit; the notebook server still runs");
        reconciler.reconcile(i.id());
        runtime.servers.get(i.id()).health = Health.ready(null, null);
        reconciler.reconcile(i.id());
        assertThat(history(i.id())).extracting(InstanceEvent::kind).endsWith(Kind.WARNING, Kind.RECOVERED);
        assertThat(history(i.id()).get(2).message()).contains("memory limit");
        assertThat(history(i.id()).get(2).kind().level()).isEqualTo(InstanceEvent.Level.WARNING);
    }

    @Test
    void passesThatChangeNothingAUserSeesAddNoEvents() {
        Instance i = running("timing");
        long before = eventStore.page(i.id(), 0, 1).total();
        for (int pass = 0; pass < 5; pass++) {
            reconciler.reconcile(i.id());
        }
        assertThat(eventStore.page(i.id(), 0, 1).total()).isEqualTo(before).isEqualTo(2);
    }

    @Test
    void changesTheUserMakesAreNamedInTheirEvent() {
        Instance i = running("timing");
        instances.renewLease(alice, "p1", i.id(), 7_200_000L, null);
        instances.stop(alice, "p1", i.id());
        reconciler.reconcile(i.id());
        instances.update(alice, "p1", i.id(), UpdateInstance.of().flavor("modelarts.vm.cpu.8u")
                .storageNewSizeGb(10).build());
        List<InstanceEvent> h = history(i.id());
        assertThat(h).extracting(InstanceEvent::kind).containsExactly(Kind.CREATED, Kind.RUNNING,
                Kind.LEASE_RENEWED, Kind.STOP_REQUESTED, Kind.STOPPED, Kind.UPDATED);
        assertThat(h.get(2).message()).isEqualTo("auto stop restarted; auto stop after 2 h");
        assertThat(h.get(3).message()).isEqualTo("stop asked for");
        assertThat(h.get(5).message()).isEqualTo("flavor modelarts.vm.cpu.2u → modelarts.vm.cpu.8u; storage 5 → 10 GB");
    }

    @Test
    void eventsArePagedNewestFirstAndGoWithTheirInstance() {
        Instance i = running("timing");
        instances.stop(alice, "p1", i.id());
        reconciler.reconcile(i.id());
        var first = events.page("p1", i.id(), 0, 3);
        var second = events.page("p1", i.id(), 3, 3);
        assertThat(first.total()).isEqualTo(4);
        assertThat(first.items()).extracting(InstanceEvent::kind)
                .containsExactly(Kind.STOPPED, Kind.STOP_REQUESTED, Kind.RUNNING);
        assertThat(second.items()).extracting(InstanceEvent::kind).containsExactly(Kind.CREATED);

        instances.delete(alice, "p1", i.id());
        reconciler.reconcile(i.id());
        assertThat(store.get(i.id())).isEmpty();
        assertThat(eventStore.page(i.id(), 0, 10).total()).isZero();
    }

    @Test
    void eventsOlderThanTheRetentionAreRemovedAndNewerOnesKept() {
        Instance old = running("timing");
        clock.advance(Duration.ofDays(31));
        Instance recent = create("timing");
        assertThat(events.expire()).isEqualTo(2);
        assertThat(eventStore.page(old.id(), 0, 10).total()).isZero();
        assertThat(eventStore.page(recent.id(), 0, 10).items()).extracting(InstanceEvent::kind)
                .containsExactly(Kind.CREATED);
    }
}
