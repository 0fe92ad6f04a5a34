package dev.atelier.store.sql;

import dev.atelier.core.port.Census;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * {@link Census} read straight from the database, so that every replica reports the whole installation. Two grouped
 * reads; nothing per instance.
 */
public final class SqlCensus implements Census {
    private final Jdbi jdbi;

    public SqlCensus(Database db) {
        this.jdbi = db.jdbi();
    }

    @Override
    public List<StatusCount> instances() {
        return jdbi.withHandle(h -> h.createQuery("SELECT status, pool_id, COUNT(*) AS n FROM instances "
                        + "GROUP BY status, pool_id")
                .map((rs, ctx) -> new StatusCount(rs.getString("status"), rs.getString("pool_id"), rs.getLong("n")))
                .list());
    }

    @Override
    public List<QueueCount> queues() {
        return jdbi.withHandle(h -> h.createQuery("SELECT pool_id, COUNT(*) AS n, MIN(queued_at) AS oldest "
                        + "FROM pool_tickets WHERE seated_at IS NULL GROUP BY pool_id")
                .map((rs, ctx) -> new QueueCount(rs.getString("pool_id"), rs.getLong("n"), rs.getLong("oldest")))
                .list());
    }
}
