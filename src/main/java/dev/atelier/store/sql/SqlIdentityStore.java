package dev.atelier.store.sql;

import dev.atelier.core.port.IdentityStore;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;

/** {@link IdentityStore} on SQL. */
public final class SqlIdentityStore implements IdentityStore {
    private final Jdbi jdbi;

    public SqlIdentityStore(Database db) {
        this.jdbi = db.jdbi();
    }

    @Override
    public boolean hasUsers() {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM users").mapTo(Long.class).one()) > 0;
    }

    @Override
    public void createUser(String id, String name, long now) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO users (id, name, created_at) VALUES (:id, :name, :now)")
                .bind("id", id).bind("name", name).bind("now", now).execute());
    }

    @Override
    public void createProject(String id, String name, long now) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO projects (id, name, created_at) VALUES (:id, :name, :now)")
                .bind("id", id).bind("name", name).bind("now", now).execute());
    }

    @Override
    public void addMember(String projectId, String userId, String role) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO project_members (project_id, user_id, role) "
                + "VALUES (:p, :u, :r)").bind("p", projectId).bind("u", userId).bind("r", role).execute());
    }

    @Override
    public void createAccessKey(String accessKey, String userId, String sealedSecret, long now) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO access_keys (access_key, user_id, secret_sealed, enabled, "
                + "created_at) VALUES (:ak, :u, :s, 1, :now)").bind("ak", accessKey).bind("u", userId)
                .bind("s", sealedSecret).bind("now", now).execute());
    }

    @Override
    public Optional<AccessKeyRecord> findAccessKey(String accessKey) {
        return jdbi.withHandle(h -> h.createQuery("SELECT access_key, user_id, secret_sealed, enabled FROM access_keys "
                + "WHERE access_key = :ak").bind("ak", accessKey)
                .map((rs, ctx) -> new AccessKeyRecord(rs.getString(1), rs.getString(2), rs.getString(3),
                        rs.getInt(4) != 0)).findOne());
    }

    @Override
    public Optional<String> userName(String userId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT name FROM users WHERE id = :u").bind("u", userId)
                .mapTo(String.class).findOne());
    }

    @Override
    public Set<String> projectsOf(String userId) {
        return new HashSet<>(jdbi.withHandle(h -> h.createQuery("SELECT project_id FROM project_members "
                + "WHERE user_id = :u").bind("u", userId).mapTo(String.class).list()));
    }
}
