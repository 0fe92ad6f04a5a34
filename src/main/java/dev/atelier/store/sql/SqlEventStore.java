package dev.atelier.store.sql;

import dev.atelier.core.model.InstanceEvent;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.port.EventStore;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;

/** {@link EventStore} on SQL; {@link #insert} is how {@link SqlInstanceStore} writes events in its transactions. */
public final class SqlEventStore implements EventStore {
    private final Jdbi jdbi;

    public SqlEventStore(Database db) {
        this.jdbi = db.jdbi();
    }

    /** Writes events on {@code h}, in the caller's transaction. */
    static void insert(Handle h, List<InstanceEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        PreparedBatch batch = h.prepareBatch("INSERT INTO instance_events (instance_id, version, ordinal, at, kind, "
                + "actor, actor_name, request_id, status, message) VALUES (:instance_id, :version, :ordinal, :at, "
                + ":kind, :actor, :actor_name, :request_id, :status, :message)");
        for (InstanceEvent e : events) {
            batch.bind("instance_id", e.instanceId()).bind("version", e.version()).bind("ordinal", e.ordinal())
                    .bind("at", e.at()).bind("kind", e.kind().name()).bind("actor", e.actor().name())
                    .bind("actor_name", e.actorName()).bind("request_id", e.requestId())
                    .bind("status", e.status().name())
                    .bind("message", e.message()).add();
        }
        batch.execute();
    }

    static void deleteOf(Handle h, String instanceId) {
        h.createUpdate("DELETE FROM instance_events WHERE instance_id = :id").bind("id", instanceId).execute();
    }

    @Override
    public EventPage page(String instanceId, int offset, int limit) {
        return jdbi.withHandle(h -> {
            long total = h.createQuery("SELECT COUNT(*) FROM instance_events WHERE instance_id = :id")
                    .bind("id", instanceId).mapTo(Long.class).one();
            List<InstanceEvent> items = h.createQuery("SELECT instance_id, version, ordinal, at, kind, actor, "
                            + "actor_name, request_id, status, message FROM instance_events WHERE instance_id = :id "
                            + "ORDER BY version DESC, ordinal DESC LIMIT :limit OFFSET :offset")
                    .bind("id", instanceId).bind("limit", limit).bind("offset", offset)
                    .map((rs, ctx) -> new InstanceEvent(rs.getString("instance_id"), rs.getLong("version"),
                            rs.getInt("ordinal"), rs.getLong("at"), InstanceEvent.Kind.valueOf(rs.getString("kind")),
                            InstanceEvent.Actor.valueOf(rs.getString("actor")), rs.getString("actor_name"),
                            rs.getString("request_id"),
                            InstanceStatus.valueOf(rs.getString("status")), rs.getString("message")))
                    .list();
            return new EventPage(items, total);
        });
    }

    @Override
    public long deleteBefore(long at) {
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM instance_events WHERE at < :at").bind("at", at)
                .execute());
    }
}
