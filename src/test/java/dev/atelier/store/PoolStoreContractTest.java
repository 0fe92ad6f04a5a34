package dev.atelier.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.core.model.Demand;
import dev.atelier.core.model.DesiredState;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Room;
import dev.atelier.core.port.PoolStore;
import dev.atelier.core.port.PoolStore.Ticket;
import dev.atelier.store.sql.Database;
import dev.atelier.store.sql.SqlInstanceStore;
import dev.atelier.store.sql.SqlPoolStore;
import dev.atelier.support.Postgres;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Places in pools, as every store must keep them: run against SQLite and PostgreSQL. */
abstract class PoolStoreContractTest {
    static final Demand TWO_CPUS = new Demand(1, 2, 8192, 0);
    static final Room ROOM_FOR_TWO = new Room(2, -1, -1, -1);

    @TempDir
    Path dir;
    String url;
    Database db;
    SqlInstanceStore instances;
    PoolStore pools;

    abstract String databaseUrl(Path dir);

    @BeforeEach
    void open() {
        url = databaseUrl(dir);
        db = Database.open(url);
        instances = new SqlInstanceStore(db);
        pools = new SqlPoolStore(db);
    }

    @AfterEach
    void close() {
        db.close();
        if (url.contains("currentSchema=")) {
            Postgres.dropSchemaOf(url);
        }
    }

    private Instance creating(String owner, long at) {
        Instance i = InstanceStoreContractTest.instance("p1", "nb", at);
        i = new Instance(new Instance.Metadata(i.id(), "p1", owner, "0", i.feature(), at, at, 1), i.spec(),
                i.observed());
        instances.insert(i);
        return i;
    }

    private PoolStore.Admission admit(Instance i, Room room) {
        return pools.admit(new Ticket(i.id(), "pool-managed", i.ownerId(), i.flavorId(), TWO_CPUS, i.updateAt(), null),
                room, 5_000);
    }

    @Test
    void instancesAreSeatedFirstComeFirstServedUntilTheRoomIsFull() {
        Instance a = creating("u1", 1000);
        Instance b = creating("u1", 1001);
        Instance c = creating("u2", 1002);
        Instance d = creating("u2", 1003);
        assertThat(admit(a, ROOM_FOR_TWO).seated()).isTrue();
        assertThat(admit(b, ROOM_FOR_TWO).seated()).isTrue();
        assertThat(admit(d, ROOM_FOR_TWO)).isEqualTo(new PoolStore.Admission(false, 1, 1));
        // c came before d: once it has asked, it is ahead
        assertThat(admit(c, ROOM_FOR_TWO)).isEqualTo(new PoolStore.Admission(false, 1, 2));
        assertThat(admit(d, ROOM_FOR_TWO)).isEqualTo(new PoolStore.Admission(false, 2, 2));
        assertThat(pools.waiting("pool-managed", 10)).containsExactly(c.id(), d.id());
        assertThat(pools.waitingOf("pool-managed", "u2")).isEqualTo(2);
        assertThat(pools.waitingOf("pool-managed", "u1")).isZero();
        assertThat(admit(a, ROOM_FOR_TWO).seated()).as("admitting again keeps the seat").isTrue();
    }

    @Test
    void theAdmissionThatSeatsAnInstanceSaysHowLongItWaitedAndNoOtherDoes() {
        Instance a = creating("u1", 1000);
        Instance b = creating("u1", 1001);
        assertThat(admit(a, new Room(1, -1, -1, -1)).waitedMs()).isEqualTo(4_000L); // queued at 1000, seated at 5000
        assertThat(admit(b, new Room(1, -1, -1, -1)).waitedMs()).isNull();
        assertThat(admit(a, new Room(1, -1, -1, -1)).waitedMs()).as("seated before").isNull();
        instances.update(a.withDesired(DesiredState.STOPPED, null, InstanceStatus.STOPPED), 3000).orElseThrow();
        assertThat(pools.admit(new Ticket(b.id(), "pool-managed", b.ownerId(), b.flavorId(), TWO_CPUS, b.updateAt(),
                null), new Room(1, -1, -1, -1), 9_001).waitedMs()).isEqualTo(8_000L);
    }

    @Test
    void aWriteToAStatusThatHoldsNothingGivesTheSeatBackInTheSameWrite() {
        Instance a = creating("u1", 1000);
        Instance b = creating("u1", 1001);
        assertThat(admit(a, new Room(1, -1, -1, -1)).seated()).isTrue();
        assertThat(admit(b, new Room(1, -1, -1, -1)).seated()).isFalse();
        Instance running = instances.update(a.withStatus(InstanceStatus.RUNNING, a.progress(), null), 2000)
                .orElseThrow();
        assertThat(admit(b, new Room(1, -1, -1, -1)).seated()).as("running holds the seat").isFalse();
        instances.update(running.withDesired(DesiredState.STOPPED, null, InstanceStatus.STOPPED), 3000).orElseThrow();
        assertThat(pools.tickets()).extracting(Ticket::instanceId).containsExactly(b.id());
        assertThat(admit(b, new Room(1, -1, -1, -1)).seated()).isTrue();
    }

    @Test
    void aDeletedInstanceLeavesTheQueueAndAStoppedOneThatWaitedNoLongerBlocksIt() {
        Instance a = creating("u1", 1000);
        Instance b = creating("u1", 1001);
        Instance c = creating("u1", 1002);
        Room one = new Room(1, -1, -1, -1);
        admit(a, one);
        admit(b, one);
        admit(c, one);
        // b is being stopped while it waits: it neither waits nor blocks c
        instances.update(instances.get(b.id()).orElseThrow().withDesired(DesiredState.STOPPED, null,
                InstanceStatus.STOPPING), 2000).orElseThrow();
        assertThat(pools.waiting("pool-managed", 10)).containsExactly(c.id());
        assertThat(instances.delete(a.id(), a.version(), 0)).isTrue();
        assertThat(admit(c, one).seated()).isTrue();
        assertThat(pools.tickets()).extracting(Ticket::instanceId).containsExactlyInAnyOrder(b.id(), c.id());
    }

    @Test
    void demandIsCountedAgainstEveryLimitOfTheRoom() {
        Instance a = creating("u1", 1000);
        Instance b = creating("u1", 1001);
        Room tenGib = new Room(-1, 64, 10240, -1);
        assertThat(admit(a, tenGib).seated()).isTrue();
        assertThat(admit(b, tenGib).seated()).as("8 GiB more do not fit in 10").isFalse();
    }

    @Test
    void concurrentAdmissionsNeverSeatMoreThanTheRoomHolds() throws Exception {
        List<Instance> all = new ArrayList<>();
        for (int n = 0; n < 12; n++) {
            all.add(creating("u" + n, 1000 + n));
        }
        var pool = Executors.newFixedThreadPool(6);
        try {
            for (int round = 0; round < 3; round++) {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> tries = new ArrayList<>();
                for (Instance i : all) {
                    tries.add(pool.submit(() -> {
                        go.await();
                        return admit(i, new Room(3, -1, -1, -1));
                    }));
                }
                go.countDown();
                for (Future<?> f : tries) {
                    f.get();
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(pools.tickets().stream().filter(Ticket::seated)).hasSize(3);
        // the rest wait in the order they came
        List<String> rest = all.stream().map(Instance::id).filter(id -> pools.tickets().stream()
                .noneMatch(t -> t.seated() && t.instanceId().equals(id))).toList();
        assertThat(pools.waiting("pool-managed", 20)).containsExactlyElementsOf(rest);
    }

    @Test
    void seatingAnInstanceFoundRunningKeepsWhenItWasSeated() {
        Instance a = creating("u1", 1000);
        Ticket t = new Ticket(a.id(), "pool-managed", "u1", a.flavorId(), TWO_CPUS, 1000, null);
        pools.seat(t, 7000);
        pools.seat(t, 9000);
        assertThat(pools.tickets()).singleElement().satisfies(s -> assertThat(s.seatedAt()).isEqualTo(7000L));
    }
}

class SqlitePoolStoreTest extends PoolStoreContractTest {
    @Override
    String databaseUrl(Path dir) {
        return "jdbc:sqlite:" + dir.resolve("test.db");
    }
}

class PostgresPoolStoreTest extends PoolStoreContractTest {
    @Override
    String databaseUrl(Path dir) {
        return Postgres.freshSchemaUrl();
    }
}
