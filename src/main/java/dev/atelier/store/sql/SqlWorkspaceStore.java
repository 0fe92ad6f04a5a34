package dev.atelier.store.sql;

import dev.atelier.core.model.Workspace;
import dev.atelier.core.port.WorkspaceStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/** {@link WorkspaceStore} on SQL (SQLite or PostgreSQL, same statements). */
public final class SqlWorkspaceStore implements WorkspaceStore {
    private static final String COLUMNS = "id, project_id, name, description, owner_id, auth_type, create_time, "
            + "update_time";
    private final Jdbi jdbi;

    public SqlWorkspaceStore(Database db) {
        this.jdbi = db.jdbi();
    }

    @Override
    public boolean create(Workspace w) {
        try {
            jdbi.useHandle(h -> h.createUpdate("INSERT INTO workspaces (" + COLUMNS + ") VALUES (:id, :p, :name, "
                            + ":description, :owner, :auth, :created, :updated)")
                    .bind("id", w.id()).bind("p", w.projectId()).bind("name", w.name())
                    .bind("description", w.description()).bind("owner", w.ownerId()).bind("auth", w.authType())
                    .bind("created", w.createTime()).bind("updated", w.updateTime()).execute());
            return true;
        } catch (UnableToExecuteStatementException e) { // the project's unique name
            if (get(w.projectId(), w.id()).isEmpty() && list(w.projectId()).stream()
                    .anyMatch(o -> o.name().equals(w.name()))) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public Optional<Workspace> get(String projectId, String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM workspaces WHERE project_id = :p "
                + "AND id = :id").bind("p", projectId).bind("id", id).map(SqlWorkspaceStore::map).findOne());
    }

    @Override
    public List<Workspace> list(String projectId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM workspaces WHERE project_id = :p")
                .bind("p", projectId).map(SqlWorkspaceStore::map).list());
    }

    @Override
    public Map<String, Quota> quotas(String projectId, String workspaceId) {
        Map<String, Quota> out = new LinkedHashMap<>();
        jdbi.useHandle(h -> h.createQuery("SELECT resource, quota, update_time FROM workspace_quotas "
                        + "WHERE project_id = :p AND workspace_id = :w ORDER BY resource")
                .bind("p", projectId).bind("w", workspaceId)
                .map((rs, ctx) -> Map.entry(rs.getString(1), new Quota(rs.getLong(2), rs.getLong(3))))
                .forEach(e -> out.put(e.getKey(), e.getValue())));
        return out;
    }

    @Override
    public void setQuota(String projectId, String workspaceId, String resource, long limit, long now) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO workspace_quotas (project_id, workspace_id, resource, quota, "
                        + "update_time) VALUES (:p, :w, :r, :q, :now) ON CONFLICT (project_id, workspace_id, resource) "
                        + "DO UPDATE SET quota = :q, update_time = :now")
                .bind("p", projectId).bind("w", workspaceId).bind("r", resource).bind("q", limit).bind("now", now)
                .execute());
    }

    private static Workspace map(java.sql.ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx)
            throws java.sql.SQLException {
        return new Workspace(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getLong(7), rs.getLong(8));
    }
}
