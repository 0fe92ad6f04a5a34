package dev.atelier.store.sql;

import dev.atelier.core.model.Demand;
import dev.atelier.core.model.Room;
import dev.atelier.core.port.PoolStore;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** {@link PoolStore} on SQL (SQLite or PostgreSQL, same statements). */
public final class SqlPoolStore implements PoolStore {
    private static final String COLUMNS = "instance_id, pool_id, owner_id, flavor_id, vcpus, memory_mib, "
            + "accelerators, queued_at, seated_at";
    /** The instances of a pool that wait, in queue order: to run, being created or started, and not seated. */
    private static final String WAITING = "SELECT t.instance_id FROM pool_tickets t JOIN instances i "
            + "ON i.id = t.instance_id WHERE t.pool_id = :p AND t.seated_at IS NULL AND i.desired_state = 'RUNNING' "
            + "AND i.status IN ('INIT', 'CREATING', 'STARTING') ORDER BY t.queued_at, t.instance_id";

    private final Jdbi jdbi;

    public SqlPoolStore(Database db) {
        this.jdbi = db.jdbi();
    }

    @Override
    public Admission admit(Ticket ticket, Room room, long now) {
        return jdbi.inTransaction(h -> {
            // one admission of a pool at a time: a row lock on PostgreSQL, the write lock on SQLite (taken by the
            // first write of a transaction), held until commit
            h.createUpdate("INSERT INTO pool_locks (pool_id) VALUES (:p) ON CONFLICT DO NOTHING")
                    .bind("p", ticket.poolId()).execute();
            h.createUpdate("UPDATE pool_locks SET pool_id = pool_id WHERE pool_id = :p")
                    .bind("p", ticket.poolId()).execute();
            h.createUpdate("INSERT INTO pool_tickets (" + COLUMNS + ") VALUES (:id, :p, :owner, :flavor, :vcpus, "
                            + ":memory, :accelerators, :queued, NULL) ON CONFLICT (instance_id) DO NOTHING")
                    .bind("id", ticket.instanceId()).bind("p", ticket.poolId()).bind("owner", ticket.ownerId())
                    .bind("flavor", ticket.flavorId()).bind("vcpus", ticket.demand().vcpus())
                    .bind("memory", ticket.demand().memoryMib()).bind("accelerators", ticket.demand().accelerators())
                    .bind("queued", ticket.queuedAt()).execute();
            Long seatedAt = h.createQuery("SELECT seated_at FROM pool_tickets WHERE instance_id = :id")
                    .bind("id", ticket.instanceId()).mapTo(Long.class).one();
            List<String> queue = h.createQuery(WAITING).bind("p", ticket.poolId()).mapTo(String.class).list();
            if (seatedAt != null) {
                return new Admission(true, 0, queue.size());
            }
            int rank = queue.indexOf(ticket.instanceId()) + 1;
            if (rank == 1 && room.holds(used(h, ticket.poolId()), ticket.demand())) {
                h.createUpdate("UPDATE pool_tickets SET seated_at = :now WHERE instance_id = :id")
                        .bind("now", now).bind("id", ticket.instanceId()).execute();
                long queuedAt = h.createQuery("SELECT queued_at FROM pool_tickets WHERE instance_id = :id")
                        .bind("id", ticket.instanceId()).mapTo(Long.class).one();
                return new Admission(true, 0, queue.size() - 1, Math.max(0, now - queuedAt));
            }
            return new Admission(false, rank, queue.size());
        });
    }

    private static Demand used(Handle h, String poolId) {
        return h.createQuery("SELECT COUNT(*), COALESCE(SUM(vcpus), 0), COALESCE(SUM(memory_mib), 0), "
                        + "COALESCE(SUM(accelerators), 0) FROM pool_tickets WHERE pool_id = :p "
                        + "AND seated_at IS NOT NULL").bind("p", poolId)
                .map((rs, ctx) -> new Demand(rs.getInt(1), rs.getLong(2), rs.getLong(3), rs.getLong(4))).one();
    }

    @Override
    public void seat(Ticket ticket, long now) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO pool_tickets (" + COLUMNS + ") VALUES (:id, :p, :owner, "
                        + ":flavor, :vcpus, :memory, :accelerators, :now, :now) ON CONFLICT (instance_id) "
                        + "DO UPDATE SET seated_at = COALESCE(pool_tickets.seated_at, :now)")
                .bind("id", ticket.instanceId()).bind("p", ticket.poolId()).bind("owner", ticket.ownerId())
                .bind("flavor", ticket.flavorId()).bind("vcpus", ticket.demand().vcpus())
                .bind("memory", ticket.demand().memoryMib()).bind("accelerators", ticket.demand().accelerators())
                .bind("now", now).execute());
    }

    @Override
    public List<Ticket> tickets() {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM pool_tickets")
                .map((rs, ctx) -> new Ticket(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        new Demand(1, rs.getLong(5), rs.getLong(6), rs.getLong(7)), rs.getLong(8),
                        rs.getObject(9) == null ? null : rs.getLong(9))).list());
    }

    @Override
    public int waitingOf(String poolId, String ownerId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM (" + WAITING.replace("ORDER BY", "AND "
                        + "t.owner_id = :o ORDER BY") + ") w").bind("p", poolId).bind("o", ownerId)
                .mapTo(Integer.class).one());
    }

    @Override
    public List<String> waiting(String poolId, int limit) {
        return jdbi.withHandle(h -> h.createQuery(WAITING + " LIMIT :limit").bind("p", poolId)
                .bind("limit", limit).mapTo(String.class).list());
    }

    /** Gives the instance's place in its pool up, in the caller's transaction. */
    static void release(Handle h, String instanceId) {
        h.createUpdate("DELETE FROM pool_tickets WHERE instance_id = :id").bind("id", instanceId).execute();
    }
}
