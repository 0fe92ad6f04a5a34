package dev.atelier.store.sql;

import dev.atelier.core.model.Mount;
import dev.atelier.core.model.MountStatus;
import dev.atelier.core.port.MountStore;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

/** {@link MountStore} on SQL. */
public final class SqlMountStore implements MountStore {
    private static final String COLUMNS = "id, instance_id, category, mount_path, uri, status, failure_reason, "
            + "create_at, update_at";
    private static final RowMapper<Mount> MAP = (rs, ctx) -> new Mount(rs.getString("id"), rs.getString("instance_id"),
            rs.getString("category"), rs.getString("mount_path"), rs.getString("uri"), MountStatus.valueOf(rs.getString("status")),
            rs.getString("failure_reason"), rs.getLong("create_at"), rs.getLong("update_at"));
    private final Jdbi jdbi;
    private final InstanceChanges changes;

    public SqlMountStore(Database db) {
        this.jdbi = db.jdbi();
        this.changes = db.changes();
    }

    @Override
    public void insert(Mount m) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO mounts (" + COLUMNS + ") VALUES (:id, :instance_id, :category, "
                        + ":mount_path, :uri, :status, :failure_reason, :create_at, :update_at)")
                .bind("id", m.id()).bind("instance_id", m.instanceId()).bind("category", m.category())
                .bind("mount_path", m.mountPath()).bind("uri", m.uri()).bind("status", m.status().name())
                .bind("failure_reason", m.failureReason()).bind("create_at", m.createAt())
                .bind("update_at", m.updateAt()).execute());
        changes.afterWrite();
    }

    @Override
    public Optional<Mount> get(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM mounts WHERE id = :id").bind("id", id)
                .map(MAP).findOne());
    }

    @Override
    public List<Mount> ofInstance(String instanceId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM mounts WHERE instance_id = :i "
                + "ORDER BY create_at, id").bind("i", instanceId).map(MAP).list());
    }

    @Override
    public void update(Mount m) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE mounts SET status = :status, failure_reason = :failure_reason, "
                        + "update_at = :update_at WHERE id = :id").bind("id", m.id()).bind("status", m.status().name())
                .bind("failure_reason", m.failureReason()).bind("update_at", m.updateAt()).execute());
        changes.afterWrite();
    }

    @Override
    public void delete(String id) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM mounts WHERE id = :id").bind("id", id).execute());
        changes.afterWrite();
    }
}
