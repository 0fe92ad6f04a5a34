package dev.atelier.store.sql;

import dev.atelier.core.port.KeyPairStore;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/** {@link KeyPairStore} on SQL. Lists are stored comma-separated: names and addresses never hold a comma. */
public final class SqlKeyPairStore implements KeyPairStore {
    private static final String COLUMNS = "project_id, name, public_key, fingerprint, user_id, created_at";
    private final Jdbi jdbi;
    private final InstanceChanges changes;

    public SqlKeyPairStore(Database db) {
        this.jdbi = db.jdbi();
        this.changes = db.changes();
    }

    @Override
    public void create(KeyPair k) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO key_pairs (" + COLUMNS + ") VALUES (:p, :n, :k, :f, :u, :at)")
                .bind("p", k.projectId()).bind("n", k.name()).bind("k", k.publicKey()).bind("f", k.fingerprint())
                .bind("u", k.userId()).bind("at", k.createdAt()).execute());
    }

    @Override
    public Optional<KeyPair> get(String projectId, String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM key_pairs WHERE project_id = :p "
                + "AND name = :n").bind("p", projectId).bind("n", name).map(SqlKeyPairStore::keyPair).findOne());
    }

    @Override
    public List<KeyPair> list(String projectId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM key_pairs WHERE project_id = :p "
                + "ORDER BY name").bind("p", projectId).map(SqlKeyPairStore::keyPair).list());
    }

    private static KeyPair keyPair(java.sql.ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx)
            throws java.sql.SQLException {
        return new KeyPair(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getLong(6));
    }

    @Override
    public boolean delete(String projectId, String name) {
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM key_pairs WHERE project_id = :p AND name = :n")
                .bind("p", projectId).bind("n", name).execute()) > 0;
    }

    @Override
    public void setEndpoint(String instanceId, SshEndpoint e) {
        jdbi.useTransaction(h -> {
            h.createUpdate("DELETE FROM instance_ssh WHERE instance_id = :i").bind("i", instanceId).execute();
            insertEndpoint(h, instanceId, e);
        });
        changes.afterWrite();
    }

    static void insertEndpoint(org.jdbi.v3.core.Handle h, String instanceId, SshEndpoint e) {
        h.createUpdate("INSERT INTO instance_ssh (instance_id, key_pair_names, allowed_access_ips) "
                + "VALUES (:i, :k, :a)").bind("i", instanceId).bind("k", String.join(",", e.keyPairNames()))
                .bind("a", String.join(",", e.allowedAccessIps())).execute();
    }

    @Override
    public Optional<SshEndpoint> endpoint(String instanceId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT key_pair_names, allowed_access_ips FROM instance_ssh "
                        + "WHERE instance_id = :i").bind("i", instanceId)
                .map((rs, ctx) -> new SshEndpoint(split(rs.getString(1)), split(rs.getString(2)))).findOne());
    }

    static List<String> split(String s) {
        return s == null || s.isEmpty() ? List.of() : Arrays.asList(s.split(","));
    }

    @Override
    public void deleteEndpoint(String instanceId) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM instance_ssh WHERE instance_id = :i").bind("i", instanceId)
                .execute());
        changes.afterWrite();
    }
}
