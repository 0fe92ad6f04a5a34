package dev.atelier.store.sql;

import dev.atelier.core.port.IdentityStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.HandleConsumer;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

/** {@link IdentityStore} on SQL. */
public final class SqlIdentityStore implements IdentityStore {
    private static final String USER_COLUMNS = "id, name, password_hash, service_admin, enabled, created_at";
    private static final String KEY_COLUMNS = "access_key, user_id, secret_sealed, enabled, description, created_at";
    /**
     * How long a principal read for a signature or token (or the list of projects) is used again without asking the
     * database. Every write
     * through this store forgets them all at once, so on one server disabling a user, a key or a membership counts
     * from the next request; a write through another replica (or the offline admin command) counts within this.
     */
    public static final Duration PRINCIPAL_TTL = Duration.ofSeconds(1);
    private static final int PRINCIPALS_MAX = 10_000;
    private final Jdbi jdbi;
    private final ConcurrentHashMap<String, Recent> principals = new ConcurrentHashMap<>();
    /** Counts writes: a principal is used again only while no write has happened since it was read. */
    private final AtomicLong writes = new AtomicLong();

    /** The projects as last read, while no write has happened since (see {@link #projects}). */
    private record RecentProjects(List<Project> projects, long until, long writesBefore) {
    }

    private volatile RecentProjects recentProjects;

    /** {@code writesBefore}: the count of writes when the read began. */
    private record Recent(Principal<?> principal, long until, long writesBefore) {
    }

    public SqlIdentityStore(Database db) {
        this.jdbi = db.jdbi();
    }

    /**
     * Every write goes through here (or {@link #writeReturning}), so none leaves a principal it changed cached. Only
     * {@link #createToken} and {@link #deleteExpiredTokens} do not: a new token changes no principal already read,
     * and an expired one is refused by its expiry anyway; so signing in does not empty the cache.
     */
    private <X extends Exception> void write(HandleConsumer<X> work) throws X {
        writeReturning(h -> {
            work.useHandle(h);
            return null;
        });
    }

    private <R, X extends Exception> R writeReturning(HandleCallback<R, X> work) throws X {
        try {
            return jdbi.inTransaction(work);
        } finally {
            writes.incrementAndGet();
            principals.clear();
        }
    }

    /** A principal from the last {@link #PRINCIPAL_TTL}, or read now. Unknown credentials are never kept. */
    @SuppressWarnings("unchecked")
    private <C> Optional<Principal<C>> recent(String key, java.util.function.Supplier<Optional<Principal<C>>> read) {
        long now = System.nanoTime();
        Recent r = principals.get(key);
        // read before a write that has happened since (even one whose clear came before this was put): not used
        if (r != null && now - r.until() < 0 && r.writesBefore() == writes.get()) {
            return Optional.of((Principal<C>) r.principal());
        }
        long before = writes.get();
        Optional<Principal<C>> p = read.get();
        if (p.isPresent() && writes.get() == before) {
            if (principals.size() >= PRINCIPALS_MAX) {
                principals.clear();
            }
            principals.put(key, new Recent(p.get(), now + PRINCIPAL_TTL.toNanos(), before));
        }
        return p;
    }

    @Override
    public boolean hasUsers() {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM users").mapTo(Long.class).one()) > 0;
    }

    @Override
    public void createUser(String id, String name, long now) {
        write(h -> h.createUpdate("INSERT INTO users (id, name, created_at) VALUES (:id, :name, :now)")
                .bind("id", id).bind("name", name).bind("now", now).execute());
    }

    @Override
    public Optional<User> user(String idOrName) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + USER_COLUMNS + " FROM users WHERE id = :x OR name = :x "
                + "ORDER BY CASE WHEN id = :x THEN 0 ELSE 1 END").bind("x", idOrName).map(SqlIdentityStore::user)
                .findFirst());
    }

    @Override
    public Map<String, String> userNames(java.util.Collection<String> userIds) {
        if (userIds.isEmpty()) {
            return Map.of();
        }
        return jdbi.withHandle(h -> h.createQuery("SELECT id, name FROM users WHERE id IN (<ids>)")
                .bindList("ids", List.copyOf(new java.util.LinkedHashSet<>(userIds)))
                .reduceRows(new LinkedHashMap<String, String>(), (m, row) -> {
                    m.put(row.getColumn("id", String.class), row.getColumn("name", String.class));
                    return m;
                }));
    }

    @Override
    public List<User> users() {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + USER_COLUMNS + " FROM users ORDER BY name")
                .map(SqlIdentityStore::user).list());
    }

    private static User user(ResultSet rs, StatementContext ctx) throws SQLException {
        return new User(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4) != 0, rs.getInt(5) != 0,
                rs.getLong(6));
    }

    @Override
    public void setPassword(String userId, String passwordHash) {
        update("UPDATE users SET password_hash = :v WHERE id = :u", userId, passwordHash);
    }

    @Override
    public void setEnabled(String userId, boolean enabled) {
        update("UPDATE users SET enabled = :v WHERE id = :u", userId, enabled ? 1 : 0);
    }

    @Override
    public void setServiceAdmin(String userId, boolean serviceAdmin) {
        update("UPDATE users SET service_admin = :v WHERE id = :u", userId, serviceAdmin ? 1 : 0);
    }

    private void update(String sql, String userId, Object value) {
        write(h -> h.createUpdate(sql).bind("u", userId).bind("v", value).execute());
    }

    @Override
    public void deleteUser(String userId, boolean keepAdministrators) {
        write(h -> {
            List<String> administered = keepAdministrators ? h.createQuery("SELECT project_id FROM project_members "
                    + "WHERE user_id = :u AND role = :admin").bind("u", userId)
                    .bind("admin", dev.atelier.core.auth.Caller.PROJECT_ADMIN).mapTo(String.class).list() : List.of();
            lockProjects(h, administered);
            for (String table : List.of("tokens", "access_keys", "project_members")) {
                h.createUpdate("DELETE FROM " + table + " WHERE user_id = :u").bind("u", userId).execute();
            }
            h.createUpdate("DELETE FROM users WHERE id = :u").bind("u", userId).execute();
            requireAdministrators(h, administered);
        });
    }

    /**
     * Takes the projects' rows for this transaction, before anything about their members is read: a second change
     * to one of them waits for this one to end (a row lock on PostgreSQL; SQLite has one writer at a time), and then
     * sees what it did.
     */
    private static void lockProjects(Handle h, java.util.Collection<String> projectIds) {
        for (String p : new java.util.TreeSet<>(projectIds)) { // one order: two changes cannot wait on each other
            h.createUpdate("UPDATE projects SET name = name WHERE id = :p").bind("p", p).execute();
        }
    }

    /**
     * The project, locked, when the user administers it (read once it is locked, so that what it says holds until
     * the change is made); else nothing.
     */
    private static List<String> administeredBy(Handle h, String projectId, String userId) {
        lockProjects(h, List.of(projectId));
        boolean admin = h.createQuery("SELECT COUNT(*) FROM project_members WHERE project_id = :p AND user_id = :u "
                + "AND role = :admin").bind("p", projectId).bind("u", userId)
                .bind("admin", dev.atelier.core.auth.Caller.PROJECT_ADMIN).mapTo(Long.class).one() > 0;
        return admin ? List.of(projectId) : List.of();
    }

    /** Throws {@link LastAdministrator}, which rolls the transaction back, for a project left without one. */
    private static void requireAdministrators(Handle h, java.util.Collection<String> projectIds) {
        for (String p : projectIds) {
            long admins = h.createQuery("SELECT COUNT(*) FROM project_members m JOIN users u ON u.id = m.user_id "
                    + "WHERE m.project_id = :p AND m.role = :admin AND u.enabled = 1").bind("p", p)
                    .bind("admin", dev.atelier.core.auth.Caller.PROJECT_ADMIN).mapTo(Long.class).one();
            if (admins == 0) {
                throw new LastAdministrator(p);
            }
        }
    }

    @Override
    public void createProject(String id, String name, long now) {
        write(h -> h.createUpdate("INSERT INTO projects (id, name, created_at) VALUES (:id, :name, :now)")
                .bind("id", id).bind("name", name).bind("now", now).execute());
    }

    @Override
    public Optional<Project> project(String idOrName) {
        return jdbi.withHandle(h -> h.createQuery("SELECT id, name, created_at FROM projects WHERE id = :x OR name = :x "
                + "ORDER BY CASE WHEN id = :x THEN 0 ELSE 1 END").bind("x", idOrName)
                .map((rs, ctx) -> new Project(rs.getString(1), rs.getString(2), rs.getLong(3))).findFirst());
    }

    @Override
    public List<Project> projects() {
        // every console page names the user's projects: kept as principals are (until a write, at most 1 s)
        long now = System.nanoTime();
        RecentProjects r = recentProjects;
        if (r != null && now - r.until() < 0 && r.writesBefore() == writes.get()) {
            return r.projects();
        }
        long before = writes.get();
        List<Project> read = List.copyOf(jdbi.withHandle(h -> h.createQuery(
                "SELECT id, name, created_at FROM projects ORDER BY name, id")
                .map((rs, ctx) -> new Project(rs.getString(1), rs.getString(2), rs.getLong(3))).list()));
        if (writes.get() == before) {
            recentProjects = new RecentProjects(read, now + PRINCIPAL_TTL.toNanos(), before);
        }
        return read;
    }

    @Override
    public void deleteProject(String projectId) {
        write(h -> {
            h.createUpdate("DELETE FROM tokens WHERE project_id = :p").bind("p", projectId).execute();
            h.createUpdate("DELETE FROM project_members WHERE project_id = :p").bind("p", projectId).execute();
            h.createUpdate("DELETE FROM projects WHERE id = :p").bind("p", projectId).execute();
        });
    }

    @Override
    public void addMember(String projectId, String userId, String role, boolean keepAdministrator) {
        write(h -> {
            List<String> kept = keepAdministrator && !dev.atelier.core.auth.Caller.PROJECT_ADMIN.equals(role)
                    ? administeredBy(h, projectId, userId) : List.of();
            int changed = h.createUpdate("UPDATE project_members SET role = :r WHERE project_id = :p AND user_id = :u")
                    .bind("p", projectId).bind("u", userId).bind("r", role).execute();
            if (changed == 0) {
                h.createUpdate("INSERT INTO project_members (project_id, user_id, role) VALUES (:p, :u, :r)")
                        .bind("p", projectId).bind("u", userId).bind("r", role).execute();
            }
            requireAdministrators(h, kept);
        });
    }

    @Override
    public boolean removeMember(String projectId, String userId, boolean keepAdministrator) {
        return writeReturning(h -> {
            List<String> kept = keepAdministrator ? administeredBy(h, projectId, userId) : List.of();
            h.createUpdate("DELETE FROM tokens WHERE project_id = :p AND user_id = :u").bind("p", projectId)
                    .bind("u", userId).execute();
            boolean removed = h.createUpdate("DELETE FROM project_members WHERE project_id = :p AND user_id = :u")
                    .bind("p", projectId).bind("u", userId).execute() > 0;
            requireAdministrators(h, kept);
            return removed;
        });
    }

    @Override
    public List<Member> members(String projectId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT m.project_id, m.user_id, u.name, m.role FROM project_members m "
                + "JOIN users u ON u.id = m.user_id WHERE m.project_id = :p ORDER BY u.name").bind("p", projectId)
                .map((rs, ctx) -> new Member(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)))
                .list());
    }

    @Override
    public Map<String, String> rolesOf(String userId) {
        Map<String, String> roles = new LinkedHashMap<>();
        jdbi.useHandle(h -> h.createQuery("SELECT project_id, role FROM project_members WHERE user_id = :u")
                .bind("u", userId).map((rs, ctx) -> Map.entry(rs.getString(1), rs.getString(2)))
                .forEach(e -> roles.put(e.getKey(), e.getValue())));
        return roles;
    }

    @Override
    public void createAccessKey(String accessKey, String userId, String sealedSecret, String description, long now) {
        write(h -> h.createUpdate("INSERT INTO access_keys (access_key, user_id, secret_sealed, enabled, "
                + "description, created_at) VALUES (:ak, :u, :s, 1, :d, :now)").bind("ak", accessKey)
                .bind("u", userId).bind("s", sealedSecret).bind("d", description).bind("now", now).execute());
    }

    @Override
    public Optional<AccessKeyRecord> findAccessKey(String accessKey) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + KEY_COLUMNS + " FROM access_keys WHERE access_key = :ak")
                .bind("ak", accessKey).map(SqlIdentityStore::key).findOne());
    }

    private static final String PRINCIPAL_COLUMNS = "u.id, u.name, u.password_hash, u.service_admin, u.enabled, "
            + "u.created_at, m.project_id, m.role";

    @Override
    public Optional<Principal<AccessKeyRecord>> byAccessKey(String accessKey) {
        return recent("key:" + accessKey, () -> principal("SELECT k.access_key, k.user_id, k.secret_sealed, "
                + "k.enabled, k.description, k.created_at, " + PRINCIPAL_COLUMNS + " FROM access_keys k JOIN users u ON u.id = k.user_id "
                + "LEFT JOIN project_members m ON m.user_id = u.id WHERE k.access_key = :x", accessKey,
                rs -> new AccessKeyRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4) != 0,
                        rs.getString(5), rs.getLong(6))));
    }

    @Override
    public Optional<Principal<TokenRecord>> byToken(String tokenHash) {
        return recent("token:" + tokenHash, () -> principal("SELECT t.user_id, t.project_id, t.issued_at, "
                + "t.expires_at, 0, 0, " + PRINCIPAL_COLUMNS + " FROM tokens t JOIN users u ON u.id = t.user_id "
                + "LEFT JOIN project_members m ON m.user_id = u.id WHERE t.token_hash = :x", tokenHash,
                rs -> new TokenRecord(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4))));
    }

    private interface Credential<C> {
        C read(ResultSet rs) throws SQLException;
    }

    /** Rows of: six credential columns, then the user, then one membership each (or none). */
    private <C> Optional<Principal<C>> principal(String sql, String key, Credential<C> credential) {
        return jdbi.withHandle(h -> h.createQuery(sql).bind("x", key).scanResultSet((supplier, ctx) -> {
            ResultSet rs = supplier.get();
            C cred = null;
            User user = null;
            Map<String, String> roles = new LinkedHashMap<>();
            while (rs.next()) {
                if (cred == null) {
                    cred = credential.read(rs);
                    user = new User(rs.getString(7), rs.getString(8), rs.getString(9), rs.getInt(10) != 0,
                            rs.getInt(11) != 0, rs.getLong(12));
                }
                if (rs.getString(13) != null) {
                    roles.put(rs.getString(13), rs.getString(14));
                }
            }
            return cred == null ? Optional.<Principal<C>>empty() : Optional.of(new Principal<>(cred, user, roles));
        }));
    }

    @Override
    public List<AccessKeyRecord> accessKeysOf(String userId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + KEY_COLUMNS + " FROM access_keys WHERE user_id = :u "
                + "ORDER BY created_at, access_key").bind("u", userId).map(SqlIdentityStore::key).list());
    }

    private static AccessKeyRecord key(ResultSet rs, StatementContext ctx) throws SQLException {
        return new AccessKeyRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4) != 0,
                rs.getString(5), rs.getLong(6));
    }

    @Override
    public void setAccessKeyEnabled(String accessKey, boolean enabled) {
        write(h -> h.createUpdate("UPDATE access_keys SET enabled = :e WHERE access_key = :ak")
                .bind("ak", accessKey).bind("e", enabled ? 1 : 0).execute());
    }

    @Override
    public void deleteAccessKey(String accessKey) {
        write(h -> h.createUpdate("DELETE FROM access_keys WHERE access_key = :ak").bind("ak", accessKey)
                .execute());
    }

    @Override
    public void createToken(String tokenHash, String userId, String projectId, long issuedAt, long expiresAt) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO tokens (token_hash, user_id, project_id, issued_at, expires_at) "
                + "VALUES (:h, :u, :p, :i, :e)").bind("h", tokenHash).bind("u", userId).bind("p", projectId)
                .bind("i", issuedAt).bind("e", expiresAt).execute());
    }

    @Override
    public void deleteToken(String tokenHash) {
        write(h -> h.createUpdate("DELETE FROM tokens WHERE token_hash = :h").bind("h", tokenHash).execute());
    }

    @Override
    public void deleteTokensOf(String userId, String keptTokenHash, long now) {
        write(h -> h.createUpdate("DELETE FROM tokens WHERE user_id = :u AND token_hash <> :k AND expires_at >= :now")
                .bind("u", userId).bind("k", keptTokenHash == null ? "" : keptTokenHash).bind("now", now).execute());
    }

    @Override
    public int deleteExpiredTokens(long now) {
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM tokens WHERE expires_at < :now").bind("now", now)
                .execute());
    }
}
