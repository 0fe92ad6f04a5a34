package dev.atelier.core.service;

import dev.atelier.core.auth.Caller;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Pool;
import dev.atelier.core.model.Room;
import dev.atelier.store.sql.Database;
import dev.atelier.store.sql.SqlImageStore;
import dev.atelier.store.sql.SqlInstanceReads;
import dev.atelier.store.sql.SqlInstanceStore;
import dev.atelier.store.sql.SqlMountStore;
import dev.atelier.store.sql.SqlPoolStore;
import dev.atelier.store.sql.SqlQuotaStore;
import dev.atelier.store.sql.SqlUsageStore;
import dev.atelier.store.sql.SqlWorkspaceStore;
import dev.atelier.support.InMemoryRuntime;
import dev.atelier.support.MovableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The core's services wired as the server wires them, on a real store (SQLite) and the in-memory runtime, with a
 * clock the test moves and one reconciler pass at a time: for tests of what the API and the reconciler do together.
 */
final class ServiceWorld implements AutoCloseable {
    final Database db;
    final SqlInstanceStore store;
    final InMemoryRuntime runtime = new InMemoryRuntime();
    final MovableClock clock = new MovableClock();
    final Activity activity = new Activity(clock);
    final Catalog catalog = new Catalog(Catalog.builtInFlavors());
    final SqlQuotaStore quotaStore;
    final Quotas quotas;
    final InstanceService instances;
    final Reconciler reconciler;
    final Caller alice = new Caller("u-alice", "alice", "token", false, Map.of("p1", Caller.MEMBER), null);
    final Caller admin = new Caller("u-root", "root", "token", false, Map.of("p1", Caller.PROJECT_ADMIN), null);

    ServiceWorld(Path dir) {
        db = Database.open("jdbc:sqlite:" + dir.resolve("t.db"));
        store = new SqlInstanceStore(db);
        var images = new ImageService(Catalog.builtInImages("/usr/bin/jupyter-server"), new SqlImageStore(db), null,
                clock);
        var reads = new SqlInstanceReads(db, store);
        var pools = new Pools(List.of(new Pool(Pool.DEFAULT_ID, "Public", Pool.Type.MANAGED, List.of(), Set.of(),
                Room.UNLIMITED, 0)), new SqlPoolStore(db), reads, clock, 3);
        quotaStore = new SqlQuotaStore(db);
        quotas = new Quotas(quotaStore, store, new SqlUsageStore(db), catalog, clock);
        instances = new InstanceService(store, reads, catalog, new InstanceService.Limits(pools,
                new WorkspaceService(new SqlWorkspaceStore(db), store, clock), quotas), images, clock, 100);
        reconciler = new Reconciler(store, reads, runtime, catalog, pools, images, new SqlMountStore(db),
                activity, clock,
                new Reconciler.Settings(Duration.ofSeconds(60), Duration.ofMillis(25), Duration.ofSeconds(2)));
        reconciler.limitedBy(quotas);
    }

    /** Alice's new instance of {@code flavor} with a one-hour lease of {@code leaseType}. */
    Instance create(String flavor, String leaseType) {
        return instances.create(alice, "p1", new CreateInstance("nb", null, null, flavor,
                Catalog.DEBIAN_JUPYTER_IMAGE_ID, null, true, "EVS", "MANAGED", 5, 3_600_000L, leaseType, null, null,
                false));
    }

    /** Alice's new instance, launched and found ready. */
    Instance running(String flavor, String leaseType) {
        Instance i = create(flavor, leaseType);
        reconciler.reconcile(i.id());
        runtime.ready(i.id());
        reconciler.reconcile(i.id());
        Instance now = now(i.id());
        if (now.status() != InstanceStatus.RUNNING) {
            throw new AssertionError("not running: " + now);
        }
        return now;
    }

    Instance now(String id) {
        return store.get(id).orElseThrow();
    }

    @Override
    public void close() {
        db.close();
    }
}
