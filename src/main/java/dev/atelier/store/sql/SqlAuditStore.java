package dev.atelier.store.sql;

import dev.atelier.core.port.AuditStore;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/** {@link AuditStore} on SQL. */
public final class SqlAuditStore implements AuditStore {
    private final Jdbi jdbi;

    public SqlAuditStore(Database db) {
        this.jdbi = db.jdbi();
    }

    @Override
    public void record(AuditEvent e) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO audit_events (request_id, at, user_id, user_name, credential, "
                        + "address, method, path, project_id, status, error_code) VALUES (:id, :at, :uid, :uname, :cred, "
                        + ":addr, :method, :path, :project, :status, :code)")
                .bind("id", e.requestId()).bind("at", e.at()).bind("uid", e.userId()).bind("uname", e.userName())
                .bind("cred", e.credential()).bind("addr", e.address()).bind("method", e.method())
                .bind("path", e.path()).bind("project", e.projectId()).bind("status", e.status())
                .bind("code", e.errorCode()).execute());
    }

    @Override
    public List<AuditEvent> query(AuditQuery q) {
        StringBuilder sql = new StringBuilder("SELECT request_id, at, user_id, user_name, credential, address, method, "
                + "path, project_id, status, error_code FROM audit_events WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (q.projects() != null) {
            if (q.projects().isEmpty()) {
                return List.of();
            }
            sql.append(" AND project_id IN (").append(String.join(", ", q.projects().stream().map(p -> "?").toList()))
                    .append(')');
            args.addAll(q.projects());
        }
        if (q.projectId() != null) {
            sql.append(" AND project_id = ?");
            args.add(q.projectId());
        }
        if (q.userId() != null) {
            sql.append(" AND user_id = ?");
            args.add(q.userId());
        }
        if (q.since() != null) {
            sql.append(" AND at >= ?");
            args.add(q.since());
        }
        if (q.until() != null) {
            sql.append(" AND at < ?");
            args.add(q.until());
        }
        sql.append(" ORDER BY at DESC, request_id DESC LIMIT ? OFFSET ?");
        args.add(q.limit());
        args.add(q.offset());
        return jdbi.withHandle(h -> {
            var query = h.createQuery(sql.toString());
            for (int i = 0; i < args.size(); i++) {
                query.bind(i, args.get(i));
            }
            return query.map((rs, ctx) -> new AuditEvent(rs.getString(1), rs.getLong(2), rs.getString(3),
                    rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8),
                    rs.getString(9), rs.getInt(10), rs.getString(11))).list();
        });
    }
}
