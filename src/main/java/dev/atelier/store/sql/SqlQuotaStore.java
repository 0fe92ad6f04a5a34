package dev.atelier.store.sql;

import dev.atelier.core.port.QuotaStore;
import java.util.Map;
import java.util.TreeMap;
import org.jdbi.v3.core.Jdbi;

/** {@link QuotaStore} on SQL (SQLite or PostgreSQL, same statements); a project's own limits have user ''. */
public final class SqlQuotaStore implements QuotaStore {
    private final Jdbi jdbi;

    public SqlQuotaStore(Database db) {
        this.jdbi = db.jdbi();
    }

    @Override
    public Map<String, Long> limits(String projectId, String userId) {
        Map<String, Long> out = new TreeMap<>();
        jdbi.useHandle(h -> h.createQuery("SELECT resource, quota FROM quotas WHERE project_id = :p AND user_id = :u")
                .bind("p", projectId).bind("u", userId == null ? "" : userId)
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2)))
                .forEach(e -> out.put(e.getKey(), e.getValue())));
        return out;
    }

    @Override
    public void set(String projectId, String userId, String resource, long limit, long now) {
        jdbi.useHandle(h -> {
            if (limit < 0) {
                h.createUpdate("DELETE FROM quotas WHERE project_id = :p AND user_id = :u AND resource = :r")
                        .bind("p", projectId).bind("u", userId == null ? "" : userId).bind("r", resource).execute();
                return;
            }
            h.createUpdate("INSERT INTO quotas (project_id, user_id, resource, quota, update_time) VALUES (:p, :u, "
                            + ":r, :q, :now) ON CONFLICT (project_id, user_id, resource) DO UPDATE SET quota = :q, "
                            + "update_time = :now")
                    .bind("p", projectId).bind("u", userId == null ? "" : userId).bind("r", resource)
                    .bind("q", limit).bind("now", now).execute();
        });
    }
}
