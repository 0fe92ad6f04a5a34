package dev.atelier.store.sql;

import dev.atelier.core.model.Feature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atelier.core.model.DesiredState;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceEvent;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Lease;
import dev.atelier.core.model.LeaseType;
import dev.atelier.core.model.Progress;
import dev.atelier.core.model.Volume;
import dev.atelier.core.port.InstanceStore;
import dev.atelier.core.port.KeyPairStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jdbi.v3.core.statement.StatementContext;

/** {@link InstanceStore} on SQL (SQLite or PostgreSQL, same statements). */
public final class SqlInstanceStore implements InstanceStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final com.fasterxml.jackson.databind.ObjectReader STATE_READER =
            JSON.readerFor(new TypeReference<Map<String, String>>() { });
    private static final String COLUMNS = "id, project_id, owner_id, workspace_id, name, description, feature, "
            + "flavor_id, image_id, volume_category, volume_ownership, volume_capacity, lease_create_at, "
            + "lease_duration, lease_enabled, lease_type, lease_update_at, lease_requested, desired_state, status, "
            + "progress, fail_reason, token, url, runtime_state, create_at, update_at, version, pool_id, "
            + "desired_request_id";
    private static final String ACTIVE = "'INIT','CREATING','STARTING','STOPPING','DELETING','SNAPSHOTTING','RUNNING'";

    private static final String UPDATE = "UPDATE instances SET name = :name, "
            + "description = :description, flavor_id = :flavor_id, image_id = :image_id, "
            + "volume_capacity = :volume_capacity, lease_create_at = :lease_create_at, "
            + "lease_duration = :lease_duration, lease_enabled = :lease_enabled, lease_type = :lease_type, "
            + "lease_update_at = :lease_update_at, lease_requested = :lease_requested, "
            + "desired_state = :desired_state, desired_request_id = :desired_request_id, status = :status, "
            + "progress = :progress, "
            + "fail_reason = :fail_reason, token = :token, url = :url, runtime_state = :runtime_state, "
            + "update_at = :update_at, version = :version WHERE id = :id AND version = :expected";

    private final Jdbi jdbi;
    /** Text sorts by code point on both databases (PostgreSQL's default collation would not). */
    private final String binaryCollation;
    private final InstanceChanges changes;
    private final CachedCounts counts;

    public SqlInstanceStore(Database db) {
        this.jdbi = db.jdbi();
        this.changes = db.changes();
        this.counts = new CachedCounts(changes);
        this.binaryCollation = db.isSqlite() ? "" : " COLLATE \"C\"";
    }

    @Override
    public Admitted insert(Instance i, Admission admission, KeyPairStore.SshEndpoint ssh,
                           List<InstanceEvent> events) {
        Admitted admitted = jdbi.inTransaction(h -> {
            if (admission.maxOwned() < Integer.MAX_VALUE || admission.uniqueName()
                    || admission.maxInWorkspace() >= 0) {
                // one create of a project at a time: a row lock on PostgreSQL, the write lock on SQLite (taken by
                // the first write of a transaction), held until commit
                h.createUpdate("INSERT INTO project_create_locks (project_id) VALUES (:p) ON CONFLICT DO NOTHING")
                        .bind("p", i.projectId()).execute();
                h.createUpdate("UPDATE project_create_locks SET project_id = project_id WHERE project_id = :p")
                        .bind("p", i.projectId()).execute();
                if (countOwned(h, i.projectId(), i.ownerId(), i.feature()) >= admission.maxOwned()) {
                    return Admitted.QUOTA_EXCEEDED;
                }
                if (admission.maxInWorkspace() >= 0
                        && countInWorkspace(h, i.projectId(), i.workspaceId()) >= admission.maxInWorkspace()) {
                    return Admitted.WORKSPACE_QUOTA_EXCEEDED;
                }
                if (admission.uniqueName() && h.createQuery("SELECT COUNT(*) FROM instances WHERE project_id = :p "
                                + "AND name = :n AND desired_state <> 'DELETED'").bind("p", i.projectId())
                        .bind("n", i.name()).mapTo(Long.class).one() > 0) {
                    return Admitted.NAME_TAKEN;
                }
            }
            bindAll(h.createUpdate("INSERT INTO instances (" + COLUMNS + ") VALUES (:id, :project_id, "
                    + ":owner_id, :workspace_id, :name, :description, :feature, :flavor_id, :image_id, :volume_category, "
                    + ":volume_ownership, :volume_capacity, :lease_create_at, :lease_duration, :lease_enabled, "
                    + ":lease_type, :lease_update_at, :lease_requested, :desired_state, :status, :progress, "
                    + ":fail_reason, :token, :url, :runtime_state, :create_at, :update_at, :version, :pool_id, "
                    + ":desired_request_id)"), i).execute();
            if (ssh != null) {
                SqlKeyPairStore.insertEndpoint(h, i.id(), ssh);
            }
            SqlEventStore.insert(h, events);
            return Admitted.INSERTED;
        });
        if (admitted == Admitted.INSERTED) {
            changes.afterWrite();
        }
        return admitted;
    }

    @Override
    public Optional<Instance> get(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM instances WHERE id = :id")
                .bind("id", id).map(SqlInstanceStore::map).findOne());
    }

    @Override
    public Optional<Instance> update(Instance i, long now, List<InstanceEvent> events) {
        Instance next = i.withUpdate(now, i.version() + 1);
        boolean release = !i.status().holdsRoom();
        org.jdbi.v3.core.HandleCallback<Integer, RuntimeException> write = h -> {
            int updated = bindAll(h.createUpdate(UPDATE), next).bind("expected", i.version()).execute();
            if (updated == 1 && release) { // stopped or failed: its place in its pool goes with the same write
                SqlPoolStore.release(h, i.id());
            }
            if (updated == 1) { // what the write meant, and what its server ran, or nothing of either
                SqlEventStore.insert(h, events);
                SqlUsageStore.follow(h, next, now);
            }
            return updated;
        };
        int rows = jdbi.inTransaction(write);
        // a lost compare-and-set too: the write that won is committed, and memory must not keep what it replaced
        changes.afterWrite();
        return rows == 1 ? Optional.of(next) : Optional.empty();
    }

    @Override
    public boolean delete(String id, long version, long now) {
        boolean done = jdbi.inTransaction(h -> {
            boolean deleted = h.createUpdate("DELETE FROM instances WHERE id = :id AND version = :version")
                    .bind("id", id).bind("version", version).execute() == 1;
            if (deleted) { // the aggregate goes as one: its tags, SSH endpoint and storage records
                SqlUsageStore.close(h, id, now); // a server still running: its time is kept
                for (String table : List.of("instance_tags", "instance_ssh", "mounts", "pool_tickets",
                        "instance_events")) {
                    h.createUpdate("DELETE FROM " + table + " WHERE instance_id = :id").bind("id", id).execute();
                }
            }
            return deleted;
        });
        changes.afterWrite(); // deleted, or another writer came first: either way what memory holds is gone
        return done;
    }

    @Override
    public Map<String, Map<String, String>> tags(Collection<String> instanceIds) {
        if (instanceIds.isEmpty()) {
            return Map.of();
        }
        Map<String, Map<String, String>> out = new java.util.HashMap<>();
        jdbi.useHandle(h -> h.createQuery("SELECT instance_id, tag_key, tag_value FROM instance_tags "
                        + "WHERE instance_id IN (<ids>) ORDER BY tag_key" + binaryCollation)
                .bindList("ids", List.copyOf(instanceIds))
                .map((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)})
                .forEach(r -> out.computeIfAbsent(r[0], k -> new java.util.LinkedHashMap<>()).put(r[1], r[2])));
        return out;
    }

    @Override
    public void putTags(String instanceId, Map<String, String> tags) {
        jdbi.useTransaction(h -> tags.forEach((k, v) -> {
            h.createUpdate("DELETE FROM instance_tags WHERE instance_id = :id AND tag_key = :k")
                    .bind("id", instanceId).bind("k", k).execute();
            h.createUpdate("INSERT INTO instance_tags (instance_id, tag_key, tag_value) VALUES (:id, :k, :v)")
                    .bind("id", instanceId).bind("k", k).bind("v", v).execute();
        }));
        changes.afterWrite();
    }

    @Override
    public void removeTags(String instanceId, Map<String, String> keysAndOptionalValues) {
        jdbi.useTransaction(h -> keysAndOptionalValues.forEach((k, v) -> h.createUpdate(
                        "DELETE FROM instance_tags WHERE instance_id = :id AND tag_key = :k"
                                + (v == null ? "" : " AND tag_value = :v"))
                .bind("id", instanceId).bind("k", k).bind("v", v).execute()));
        changes.afterWrite();
    }

    @Override
    public Map<String, List<String>> projectTags(String projectId, String workspaceId) {
        Map<String, java.util.SortedSet<String>> sorted = new java.util.TreeMap<>();
        jdbi.useHandle(h -> h.createQuery("SELECT DISTINCT t.tag_key, t.tag_value FROM instance_tags t "
                        + "JOIN instances i ON i.id = t.instance_id WHERE i.project_id = :p AND i.workspace_id = :w")
                .bind("p", projectId).bind("w", workspaceId)
                .map((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2)})
                .forEach(r -> sorted.computeIfAbsent(r[0], k -> new java.util.TreeSet<>()).add(r[1])));
        Map<String, List<String>> out = new java.util.LinkedHashMap<>();
        sorted.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return out;
    }

    @Override
    public long countOwned(String projectId, String ownerId, Feature feature) {
        return jdbi.withHandle(h -> countOwned(h, projectId, ownerId, feature));
    }

    @Override
    public long countUsingImage(String imageId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM instances WHERE image_id = :i "
                + "AND desired_state <> 'DELETED'").bind("i", imageId).mapTo(Long.class).one());
    }

    @Override
    public Map<String, Long> flavorsRunning(String projectId, String ownerId) {
        Map<String, Long> out = new java.util.TreeMap<>();
        jdbi.useHandle(h -> h.createQuery("SELECT flavor_id, COUNT(*) FROM instances WHERE project_id = :p"
                        + (ownerId == null ? "" : " AND owner_id = :o") + " AND desired_state = 'RUNNING' AND status IN "
                        + "('INIT', 'CREATING', 'STARTING', 'RUNNING', 'SNAPSHOTTING') GROUP BY flavor_id")
                .bind("p", projectId).bind("o", ownerId)
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2)))
                .forEach(e -> out.put(e.getKey(), e.getValue())));
        return out;
    }

    @Override
    public long countInWorkspace(String projectId, String workspaceId) {
        return jdbi.withHandle(h -> countInWorkspace(h, projectId, workspaceId));
    }

    private static long countInWorkspace(org.jdbi.v3.core.Handle h, String projectId, String workspaceId) {
        return h.createQuery("SELECT COUNT(*) FROM instances WHERE project_id = :p AND workspace_id = :w "
                + "AND desired_state <> 'DELETED'").bind("p", projectId).bind("w", workspaceId)
                .mapTo(Long.class).one();
    }

    private static long countOwned(org.jdbi.v3.core.Handle h, String projectId, String ownerId, Feature feature) {
        return h.createQuery("SELECT COUNT(*) FROM instances WHERE project_id = :p "
                        + "AND owner_id = :o AND feature = :f AND desired_state <> 'DELETED'")
                .bind("p", projectId).bind("o", ownerId).bind("f", feature.name()).mapTo(Long.class).one();
    }

    @Override
    public InstancePage list(InstanceQuery q) {
        Map<String, Object> params = new java.util.LinkedHashMap<>();
        StringBuilder where = new StringBuilder(" WHERE project_id = :project_id");
        params.put("project_id", q.projectId());
        filter(where, params, "owner_id", q.ownerId());
        if (q.statuses() != null && q.statuses().isEmpty()) {
            return new InstancePage(List.of(), 0);
        }
        filter(where, params, "pool_id", q.poolId());
        if (q.waiting() != null) { // a place in a queue, not a seat: what the legacy API calls *_QUEUING
            where.append(q.waiting() ? " AND" : " AND NOT").append(" (desired_state = 'RUNNING' AND id IN "
                    + "(SELECT instance_id FROM pool_tickets WHERE seated_at IS NULL))");
        }
        if (q.statuses() != null) {
            where.append(" AND status IN (");
            for (int i = 0; i < q.statuses().size(); i++) {
                where.append(i == 0 ? "" : ", ").append(":status").append(i);
                params.put("status" + i, q.statuses().get(i).name());
            }
            where.append(")");
        }
        filter(where, params, "feature", q.feature() == null ? null : q.feature().name());
        filter(where, params, "workspace_id", q.workspaceId());
        filter(where, params, "flavor_id", q.flavorId());
        filter(where, params, "image_id", q.imageId());
        filter(where, params, "id", q.id());
        if (q.nameContains() != null) {
            where.append(" AND name LIKE :name ESCAPE '\\'");
            params.put("name", "%" + q.nameContains().replace("\\", "\\\\").replace("%", "\\%")
                    .replace("_", "\\_") + "%");
        }
        StringBuilder order = new StringBuilder(" ORDER BY ");
        for (InstanceStore.Sort sort : q.sort()) {
            order.append(column(sort.field())).append(sort.ascending() ? " ASC, " : " DESC, ");
        }
        boolean lastAscending = !q.sort().isEmpty() && q.sort().get(q.sort().size() - 1).ascending();
        order.append("id").append(lastAscending ? " ASC" : " DESC");
        return jdbi.withHandle(h -> {
            String count = "SELECT COUNT(*) FROM instances" + where;
            // a place in a queue is in pool_tickets, whose changes the feed does not carry
            long total = q.waiting() != null ? count(h, count, params)
                    : counts.count(count, List.copyOf(params.values()), () -> count(h, count, params));
            // read even past the end: a total from memory must not answer for a database that is gone
            List<Instance> items = h.createQuery("SELECT " + COLUMNS + " FROM instances" + where + order
                            + " LIMIT :limit OFFSET :offset").bindMap(params)
                    .bind("limit", q.limit()).bind("offset", q.offset())
                    .map(SqlInstanceStore::map).list();
            return new InstancePage(items, total);
        });
    }

    private static long count(org.jdbi.v3.core.Handle h, String count, Map<String, Object> params) {
        return h.createQuery(count).bindMap(params).mapTo(Long.class).one();
    }

    private static void filter(StringBuilder where, Map<String, Object> params, String column, String value) {
        if (value != null) {
            where.append(" AND ").append(column).append(" = :").append(column);
            params.put(column, value);
        }
    }

    private String column(String sortField) {
        return switch (sortField) {
            case "create_at", "update_at", "id" -> sortField;
            case "name", "status" -> sortField + binaryCollation;
            case "flavor" -> "flavor_id" + binaryCollation;
            default -> throw new IllegalArgumentException("not sortable: " + sortField);
        };
    }

    @Override
    public List<String> claimActive(String replica, long now, long until) {
        return jdbi.inTransaction(h -> {
            h.createUpdate("UPDATE instances SET claimed_by = :r, claimed_until = :until WHERE (status IN (" + ACTIVE
                    + ") OR desired_state = 'DELETED') AND (claimed_by = :r OR claimed_by IS NULL OR claimed_until < :now)")
                    .bind("r", replica).bind("until", until).bind("now", now).execute();
            return h.createQuery("SELECT id FROM instances WHERE claimed_by = :r AND claimed_until >= :now AND (status IN ("
                    + ACTIVE + ") OR desired_state = 'DELETED')").bind("r", replica).bind("now", now)
                    .mapTo(String.class).list();
        });
    }

    @Override
    public void releaseClaims(String replica) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE instances SET claimed_by = NULL, claimed_until = 0 "
                + "WHERE claimed_by = :r").bind("r", replica).execute());
    }

    @Override
    public boolean claim(String id, String replica, long now, long until) {
        return jdbi.withHandle(h -> h.createUpdate("UPDATE instances SET claimed_by = :r, claimed_until = :until "
                        + "WHERE id = :id AND (claimed_by = :r OR claimed_by IS NULL OR claimed_until < :now)")
                .bind("r", replica).bind("until", until).bind("now", now).bind("id", id).execute()) == 1;
    }

    private static <S extends SqlStatement<S>> S bindAll(S s, Instance i) {
        return s.bind("id", i.id()).bind("project_id", i.projectId()).bind("owner_id", i.ownerId())
                .bind("workspace_id", i.workspaceId()).bind("name", i.name()).bind("description", i.description())
                .bind("feature", i.feature().name()).bind("flavor_id", i.flavorId()).bind("image_id", i.imageId())
                .bind("volume_category", i.volume().category()).bind("volume_ownership", i.volume().ownership())
                .bind("volume_capacity", i.volume().capacityGb())
                .bind("lease_create_at", i.lease().createAt()).bind("lease_duration", i.lease().durationMs())
                .bind("lease_enabled", i.lease().enabled() ? 1 : 0).bind("lease_type", i.lease().type().name())
                .bind("lease_update_at", i.lease().updateAt()).bind("lease_requested", i.lease().requestedMs())
                .bind("desired_state", i.desired().name()).bind("status", i.status().name())
                .bind("progress", i.progress().encode()).bind("fail_reason", i.failReason())
                .bind("token", i.token()).bind("url", i.url()).bind("runtime_state", toJson(i.runtimeState()))
                .bind("create_at", i.createAt()).bind("update_at", i.updateAt()).bind("version", i.version())
                .bind("pool_id", i.poolId()).bind("desired_request_id", i.requestId());
    }

    /** By position in {@link #COLUMNS}: looking each column up by name was a third of the cost of reading a row. */
    private static Instance map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new Instance(new Instance.Metadata(rs.getString(1), rs.getString(2), rs.getString(3),
                rs.getString(4), Feature.valueOf(rs.getString(7)), rs.getLong(26), rs.getLong(27), rs.getLong(28),
                rs.getString(29)),
                new Instance.Spec(rs.getString(5), rs.getString(6), rs.getString(8), rs.getString(9),
                        new Volume(rs.getString(10), rs.getString(11), rs.getInt(12)), new Lease(rs.getLong(13),
                        rs.getLong(14), rs.getInt(15) != 0, LeaseType.valueOf(rs.getString(16)), rs.getLong(17),
                        rs.getLong(18)), DesiredState.valueOf(rs.getString(19)), rs.getString(30)),
                new Instance.Observed(InstanceStatus.valueOf(rs.getString(20)), Progress.decode(rs.getString(21)),
                        rs.getString(22), rs.getString(23), rs.getString(24), fromJson(rs.getString(25))));
    }

    private static String toJson(Map<String, String> state) {
        try {
            return JSON.writeValueAsString(state);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> fromJson(String json) {
        if (json == null || json.equals("{}")) {
            return Map.of();
        }
        try {
            return STATE_READER.readValue(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("corrupt runtime_state", e);
        }
    }

}
