package dev.atelier.store.sql;

import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * Counts for operators, read straight from the database, so that every replica reports the whole installation:
 * instances by status and pool, and each pool's queue. Two grouped reads; nothing per instance.
 */
public final class SqlCensus {
    private final Jdbi jdbi;

    public SqlCensus(Database db) {
        this.jdbi = db.jdbi();
    }

    /** How many instances have a status in a pool ({@code poolId} null: the public pool). */
    public record StatusCount(String status, String poolId, long count) {
    }

    /** How many instances wait in a pool's queue, and since when the longest-waiting one waits (epoch ms). */
    public record QueueCount(String poolId, long waiting, long oldestSince) {
    }

    public List<StatusCount> instances() {
        return jdbi.withHandle(h -> h.createQuery("SELECT status, pool_id, COUNT(*) AS n FROM instances "
                        + "GROUP BY status, pool_id")
                .map((rs, ctx) -> new StatusCount(rs.getString("status"), rs.getString("pool_id"), rs.getLong("n")))
                .list());
    }

    public List<QueueCount> queues() {
        return jdbi.withHandle(h -> h.createQuery("SELECT pool_id, COUNT(*) AS n, MIN(queued_at) AS oldest "
                        + "FROM pool_tickets WHERE seated_at IS NULL GROUP BY pool_id")
                .map((rs, ctx) -> new QueueCount(rs.getString("pool_id"), rs.getLong("n"), rs.getLong("oldest")))
                .list());
    }
}
