package dev.atelier.store.sql;

import dev.atelier.core.model.Instance;
import dev.atelier.core.model.Months;
import dev.atelier.core.port.UsageStore;
import java.util.Map;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * {@link UsageStore} on SQL, and the meters that {@link SqlInstanceStore} keeps with each write: a server running
 * now has a row in {@code run_meters} from when it began; when it ends, its time is added to {@code usage_months},
 * split at month boundaries, and the meter goes.
 */
public final class SqlUsageStore implements UsageStore {
    private final Jdbi jdbi;

    public SqlUsageStore(Database db) {
        this.jdbi = db.jdbi();
    }

    /**
     * Keeps {@code written}'s meter in step with the status it was just written with, in the write's transaction:
     * opened at {@code now} if its server runs (kept if it ran already), else closed at {@code now}.
     */
    static void follow(Handle h, Instance written, long now) {
        if (written.status().isMetered()) {
            h.createUpdate("INSERT INTO run_meters (instance_id, project_id, user_id, flavor_id, since) "
                            + "VALUES (:id, :p, :u, :f, :now) ON CONFLICT (instance_id) DO NOTHING")
                    .bind("id", written.id()).bind("p", written.projectId()).bind("u", written.ownerId())
                    .bind("f", written.flavorId()).bind("now", now).execute();
        } else {
            close(h, written.id(), now);
        }
    }

    /** Books what the instance's server ran up to {@code now}, if it runs, and removes its meter. */
    static void close(Handle h, String instanceId, long now) {
        var meter = h.createQuery("SELECT project_id, user_id, flavor_id, since FROM run_meters WHERE instance_id = :id")
                .bind("id", instanceId)
                .map((rs, ctx) -> new Meter(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4)))
                .findOne();
        if (meter.isEmpty()) {
            return;
        }
        Meter m = meter.get();
        Months.split(m.since(), now).forEach((month, ms) -> h.createUpdate("INSERT INTO usage_months (project_id, "
                        + "user_id, month, flavor_id, run_ms) VALUES (:p, :u, :m, :f, :ms) ON CONFLICT (project_id, "
                        + "month, user_id, flavor_id) DO UPDATE SET run_ms = usage_months.run_ms + :ms")
                .bind("p", m.projectId()).bind("u", m.userId()).bind("m", month).bind("f", m.flavorId())
                .bind("ms", ms).execute());
        h.createUpdate("DELETE FROM run_meters WHERE instance_id = :id").bind("id", instanceId).execute();
    }

    private record Meter(String projectId, String userId, String flavorId, long since) {
    }

    @Override
    public Map<String, Long> runMillis(String projectId, String userId, String month, long now) {
        Map<String, Long> out = new TreeMap<>();
        String byUser = userId == null ? "" : " AND user_id = :u";
        jdbi.useHandle(h -> {
            h.createQuery("SELECT flavor_id, SUM(run_ms) FROM usage_months WHERE project_id = :p AND month = :m"
                            + byUser + " GROUP BY flavor_id")
                    .bind("p", projectId).bind("m", month).bind("u", userId)
                    .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2)))
                    .forEach(e -> out.merge(e.getKey(), e.getValue(), Long::sum));
            h.createQuery("SELECT flavor_id, since FROM run_meters WHERE project_id = :p" + byUser)
                    .bind("p", projectId).bind("u", userId)
                    .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2)))
                    .forEach(e -> {
                        Long ms = Months.split(e.getValue(), now).get(month);
                        if (ms != null) {
                            out.merge(e.getKey(), ms, Long::sum);
                        }
                    });
        });
        return out;
    }

    @Override
    public Map<String, Long> running(String projectId, String userId) {
        Map<String, Long> out = new TreeMap<>();
        jdbi.useHandle(h -> h.createQuery("SELECT flavor_id, COUNT(*) FROM run_meters WHERE project_id = :p"
                        + (userId == null ? "" : " AND user_id = :u") + " GROUP BY flavor_id")
                .bind("p", projectId).bind("u", userId)
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2)))
                .forEach(e -> out.put(e.getKey(), e.getValue())));
        return out;
    }
}
